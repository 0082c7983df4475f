/**
 * Serializes sends on one zeromq.js socket. zeromq.js allows a single pending send per socket
 * (a second one rejects with EBUSY), so concurrent producers go through this FIFO.
 */
import type { Writable } from "zeromq";

export class SocketWriter {
  private readonly queue: Buffer[][] = [];
  private head = 0;
  private pumping = false;
  private closed = false;

  constructor(
    private readonly socket: Writable,
    private readonly onError: (err: unknown) => void,
  ) {}

  send(frames: Buffer[]): void {
    if (this.closed) return;
    this.queue.push(frames);
    if (!this.pumping) void this.pump();
  }

  /** Resolves once everything queued so far has been handed to ZeroMQ. */
  async drain(): Promise<void> {
    while (this.pumping) await new Promise((r) => setImmediate(r));
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.head = 0;
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.head < this.queue.length && !this.closed) {
        const frames = this.queue[this.head]!;
        this.queue[this.head++] = undefined as unknown as Buffer[];
        try {
          await this.socket.send(frames);
        } catch (err) {
          this.onError(err);
        }
        // Compact now and then so a long-lived queue does not grow without bound.
        if (this.head > 1024 && this.head * 2 > this.queue.length) {
          this.queue.splice(0, this.head);
          this.head = 0;
        }
      }
      this.queue.length = 0;
      this.head = 0;
    } finally {
      this.pumping = false;
    }
  }
}
