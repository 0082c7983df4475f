/**
 * What the kernel says about the import schemes it does not support (`jsr:`, `http:`, `https:`).
 * Free of imports: the loader hooks' thread loads it for every file a cell imports.
 */

/** What the kernel imports, for messages. */
export const SUPPORTED_IMPORTS =
  "npm: specifiers (npm:name@range), packages in a node_modules of the notebook's folder or a parent, relative and absolute paths (.ts and .js files), and Node built-ins (node:fs)";

/**
 * A clear message for a specifier whose scheme the kernel does not import (`jsr:`, `http:`,
 * `https:`); undefined for every other specifier.
 */
export function unsupportedSchemeMessage(specifier: string): string | undefined {
  if (specifier.startsWith("jsr:")) {
    const name = specifier
      .slice(4)
      .replace(/^\//, "")
      .replace(/^(@[^/@]+\/[^/@]+).*$/, "$1");
    return (
      `Cannot import '${specifier}': jsr: specifiers (the JSR registry) are not supported by this kernel. ` +
      `It imports ${SUPPORTED_IMPORTS}. JSR packages can be installed from npm's side with their jsr tool: ` +
      `npx jsr add ${name} (in the notebook's folder), then import '${name}'.`
    );
  }
  if (/^https?:/i.test(specifier)) {
    return (
      `Cannot import '${specifier}': URL imports (http:, https:) are not supported by this kernel (Node does not load code over the network). ` +
      `It imports ${SUPPORTED_IMPORTS}. Use the package's npm: name, or download the file and import it by its path.`
    );
  }
  return undefined;
}
