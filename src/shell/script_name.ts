/**
 * The file name a cell's script is compiled under (its `sourceURL`, what stack frames show):
 * FNV-1a of the cell's source and its length, stable across runs of the same cell. From the
 * source, not the script: cells differing only in types have the same script, and their columns
 * differ. A module of its own (no imports) because the I/O worker's debug adapter computes it
 * too: a breakpoint in a cell that has not run yet is set on this URL (src/io/debugger).
 */
export function scriptName(source: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < source.length; i++) h = Math.imul(h ^ source.charCodeAt(i), 0x01000193);
  return `cell-${(h >>> 0).toString(16).padStart(8, "0")}-${source.length}`;
}

/** Is `url` a cell script's file name (see scriptName)? */
export function isCellScript(url: string): boolean {
  return /^cell-[0-9a-f]{8}-\d+$/.test(url);
}
