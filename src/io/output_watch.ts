/**
 * While requests are in flight, output the main thread holds back for longer than OUTPUT_WAIT_MS
 * is asked for (src/shell/attention.ts `askForOutput`: the cell's next guard hands it over): a
 * cell stuck in a loop right after printing (or after its execute_input) would keep it until the
 * loop ends, since the main thread hands output over at the end of an event-loop turn.
 */
import { askForOutput } from "../shell/attention.js";

export const OUTPUT_WAIT_MS = 20;

export class OutputWatch {
  private lastBatchAt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly attention: Int32Array,
    private readonly inFlight: () => number,
  ) {}

  /** A batch of the main thread's messages came. */
  batchCame(): void {
    this.lastBatchAt = performance.now();
  }

  /** Something was handed to the main thread: watch while anything is in flight. */
  watch(): void {
    if (this.inFlight() === 0 || this.timer !== undefined) return;
    this.timer = setInterval(() => {
      if (this.inFlight() === 0) {
        clearInterval(this.timer);
        this.timer = undefined;
      } else if (performance.now() - this.lastBatchAt >= OUTPUT_WAIT_MS) {
        askForOutput(this.attention);
      }
    }, OUTPUT_WAIT_MS);
  }
}
