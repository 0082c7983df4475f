/**
 * Cursor positions on the wire are Unicode code points (messaging spec 5.0+); JavaScript strings
 * index UTF-16 units. Every position crosses this boundary through these two functions.
 */
/** UTF-16 index of a code-point offset. */
export function codePointToIndex(text: string, cp: number): number {
  let index = 0;
  for (let n = 0; n < cp && index < text.length; n++) {
    const c = text.charCodeAt(index);
    index += c >= 0xd800 && c <= 0xdbff && index + 1 < text.length ? 2 : 1;
  }
  return index;
}

/** Code-point offset of a UTF-16 index. */
export function indexToCodePoint(text: string, index: number): number {
  let cp = 0;
  for (let i = 0; i < index && i < text.length; cp++) {
    const c = text.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
  }
  return cp;
}
