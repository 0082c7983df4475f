/**
 * The first line of a traceback as Jupyter frontends show it: the error's name in red (ANSI), then
 * its message. An error with no frames worth showing (a refused or aborted request) has only it.
 *
 * @module
 */
const RED = "\u001b[0;31m";
const RESET = "\u001b[0m";

/** `ename: evalue` with the name in red; `separator` between them (": ", or " " after `Uncaught`). */
export function errorLine(ename: string, evalue: string, separator = ": "): string {
  return `${RED}${ename}${RESET}${separator}${evalue}`;
}

/** The traceback of an error with no frames worth showing: its one red line. */
export function oneLineTraceback(ename: string, evalue: string): string[] {
  return [errorLine(ename, evalue)];
}
