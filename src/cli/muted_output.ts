/**
 * The terminal as readline's output, with an off switch for echo: while `muted`, nothing readline
 * writes reaches the terminal, so what is typed at a password prompt stays hidden (readline echoes
 * each key and redraws the line itself). Everything else passes through unchanged, at once: whether
 * a write shows is decided when it is made.
 */
import { Writable } from "node:stream";

export class MutedOutput extends Writable {
  muted = false;
  readonly isTTY: boolean;

  constructor(private readonly target: NodeJS.WriteStream) {
    super();
    this.isTTY = target.isTTY === true;
    // readline lays the line out by the terminal's width and redraws it on resize.
    target.on("resize", () => this.emit("resize"));
  }

  get columns(): number | undefined {
    return this.target.columns;
  }

  get rows(): number | undefined {
    return this.target.rows;
  }

  override _write(chunk: Buffer | string, encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    if (!this.muted) this.target.write(chunk, encoding);
    // Done at once: a write still in flight would queue the next ones, and readline draws its
    // prompt in several writes; queued, they would meet \`muted\` set after the prompt and vanish
    // (the password prompt was never shown). The terminal keeps its own order.
    done();
  }
}
