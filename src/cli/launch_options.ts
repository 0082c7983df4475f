/**
 * The arguments of `launch` (launch.ts), each also accepted as `--RemoteProcessProxy.<name>`
 * (Enterprise Gateway's kernelspecs). Apart, so that the CLI knows them without loading launch.ts.
 */
export const LAUNCH_OPTIONS = {
  "kernel-id": { type: "string" },
  "response-address": { type: "string" },
  "public-key": { type: "string" },
  "port-range": { type: "string" },
  "transport-encryption": { type: "string" },
  "spark-context-initialization-mode": { type: "string" },
  ip: { type: "string" },
} as const;
