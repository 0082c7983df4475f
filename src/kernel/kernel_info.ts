/** The kernel_info_reply content, shared by the shell (main thread) and control (I/O worker). */
import process from "node:process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { PROTOCOL_VERSION } from "../messaging/messages.js";

const require = createRequire(import.meta.url);

export const IMPLEMENTATION = "ts-async-kernel";

function readVersion(spec: string): string {
  try {
    return (JSON.parse(readFileSync(require.resolve(spec), "utf8")) as { version: string }).version;
  } catch {
    return "0.0.0";
  }
}

export const KERNEL_VERSION = readVersion("../../package.json");

export type Language = "typescript" | "javascript";

/** Features actually implemented; each issue adds its own. */
export const SUPPORTED_FEATURES: string[] = [
  // JEP 91: create/delete/list_subshell on control, `subshell_id` in shell request headers.
  "kernel subshells",
  // debug_request / debug_event (messaging 5.5): the debug adapter in the I/O worker (src/io/debugger)
  "debugger",
];

export function kernelInfo(language: Language): Record<string, unknown> {
  const ts = language === "typescript";
  // Key order as ipykernel/async-kernel send it; some strict clients read it into typed structs.
  return {
    protocol_version: PROTOCOL_VERSION,
    implementation: IMPLEMENTATION,
    implementation_version: KERNEL_VERSION,
    language_info: {
      name: language,
      // The language version cells are written in: TypeScript's (transpiled) or Node's ECMAScript.
      version: ts ? readVersion("typescript/package.json") : process.versions.node,
      mimetype: ts ? "text/typescript" : "text/javascript",
      file_extension: ts ? ".ts" : ".js",
      pygments_lexer: ts ? "typescript" : "javascript",
      // A language name: JupyterLab 4 looks the editor mode up by name first, then by MIME, and
      // knows TypeScript as "application/typescript" only (with "text/typescript" cells were plain text).
      codemirror_mode: ts ? "typescript" : "javascript",
      nbconvert_exporter: "script",
    },
    banner: `${IMPLEMENTATION} ${KERNEL_VERSION}: ${ts ? "TypeScript" : "JavaScript"} on Node.js ${process.version}`,
    help_links: [
      { text: "TypeScript handbook", url: "https://www.typescriptlang.org/docs/handbook/" },
      { text: "Node.js API", url: "https://nodejs.org/api/" },
    ],
    // (deprecated by supported_features in 5.5; JupyterLab and older clients read it)
    debugger: true,
    supported_features: SUPPORTED_FEATURES,
    status: "ok",
  };
}
