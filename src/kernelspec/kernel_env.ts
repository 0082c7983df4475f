/**
 * The kernel's environment, set by Jupyter from kernel.json (and by our own launcher); glibc reads
 * it once, at process start.
 *
 * glibc's malloc thresholds are dynamic: freeing a block it had mapped on its own (above 128 KB)
 * raises the mapping threshold to that block's size and the trim threshold to twice that, up to
 * 32 and 64 MB. Loading the 9 MB TypeScript compiler frees such a block, and from then on each
 * thread's arena kept up to 18 MB of freed memory: the language-service thread's arena held ~20
 * MB that V8 had used once, to parse the compiler. Fixed at 2 MB: 12 MB less idle RSS, and no more
 * syscalls or page faults per execute (docs/performance.md). (MALLOC_ARENA_MAX=2 saved about as
 * much, but had the main thread share its arena with V8's GC and compiler threads: up to 3x the
 * lock waits in allocation-heavy cells.)
 */
export const KERNEL_ENV: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: "2097152",
  MALLOC_TRIM_THRESHOLD_: "2097152",
};
