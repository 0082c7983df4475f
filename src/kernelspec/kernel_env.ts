/**
 * The kernel's environment, set by Jupyter from kernel.json (and by our own launcher). glibc gives
 * each thread that allocates a malloc arena of its own (up to 8 per core) and keeps what was freed
 * in it: the language-service thread's arena alone kept ~20 MB that V8 had used once to parse the
 * 9 MB TypeScript compiler. Two arenas for the process: 13 MB less idle RSS, no slower in the
 * bench (docs/performance.md). It must be set before the process starts: glibc reads it once.
 */
export const KERNEL_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: "2" };
