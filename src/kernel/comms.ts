/**
 * The kernel's comm wiring on the main thread: the main thread's CommManager publishes through
 * the output routing (each message with the parent of the code that sends it), frontend comm
 * messages are routed to the thread that owns the comm (comm/router.ts), and comms of a thread
 * that ends are closed for the frontend.
 *
 * Frontend comm messages are handled as they arrive, never queued behind executing cells: a cell
 * awaiting a widget change gets it. Each one's handlers run with the message as parent (their
 * output, echo_update and replies go with it); busy/idle around it are the kernel's (kernel.ts).
 */
import { CommRouter, type CommHeader, type CommInbound, type CommManager, type CommOutbound, type CommOwner } from "../comm/index.js";
import type { CellOutput } from "../shell/output.js";
import { registerWidgetTargets, useRemoteWidgetStates, WIDGET_TARGET_NAME, type ManagerState } from "../widgets/index.js";
import type { InboundRequest } from "../io/bridge.js";
import type { Log } from "./log.js";
import { cellOutput, type Outbox } from "./outbox.js";

export interface KernelCommsOptions {
  outbox: Outbox;
  log: Log;
  /** This thread's manager (comm/index.ts's `comms`, the instance cells use). */
  local: CommManager;
  /** shell/output.ts */
  currentOutput(): CellOutput | undefined;
  routeOutput<T>(output: CellOutput, fn: () => T): T;
  /** An error as text for stderr (the shell's, with cell frames named). */
  errorText(err: unknown): string;
}

/** What the comms of Caller threads need of the kernel's comms (thread_cells/thread_comms.ts). */
export interface ThreadCommHost {
  noteOutbound(owner: CommOwner<CellOutput>, msg: CommOutbound): void;
  setTargets(owner: CommOwner<CellOutput>, names: readonly string[]): void;
  holds(owner: CommOwner<CellOutput>): boolean;
  ownerGone(owner: CommOwner<CellOutput>): void;
  ownersOf(target: string): CommOwner<CellOutput>[];
  /** Where comm messages of a thread go when the cell they came from is forgotten: no parent. */
  readonly orphans: CellOutput;
}

/** How long the widget states of a thread are waited for (a thread in a busy loop does not answer). */
const THREAD_STATES_MS = 2000;

/** A comm owner that can also say the state of its widgets (a Caller thread, thread_comms.ts). */
interface WidgetStateOwner extends CommOwner<CellOutput> {
  widgetStates(timeoutMs: number): Promise<ManagerState | undefined>;
}

const hasWidgetStates = (o: CommOwner<CellOutput>): o is WidgetStateOwner =>
  typeof (o as Partial<WidgetStateOwner>).widgetStates === "function";

export class KernelComms implements ThreadCommHost {
  readonly router: CommRouter<CellOutput>;
  readonly orphans: CellOutput;

  constructor(private readonly options: KernelCommsOptions) {
    const { outbox, local } = options;
    this.router = new CommRouter(local);
    const publishOrphan = (msg: CommOutbound): void =>
      outbox.push({
        channel: "iopub",
        msgType: msg.msgType,
        content: msg.content,
        parent: null,
        metadata: msg.metadata,
        buffers: msg.buffers,
      });
    this.orphans = { stream() {}, display() {}, clearOutput() {}, comm: publishOrphan };
    local.connect({
      send: (msg) => {
        const out = options.currentOutput();
        if (out?.comm) out.comm(msg);
        else publishOrphan(msg);
      },
      reportError: (err, context) => {
        const text = `${context}: ${options.errorText(err)}\n`;
        const out = options.currentOutput();
        if (out) out.stream("stderr", text);
        else options.log.warn({ err }, context);
      },
    });
    // The widget protocol's targets are the main thread's; the widgets of threads are asked there.
    registerWidgetTargets(local);
    useRemoteWidgetStates(async () => {
      const owners = this.router.ownersOf(WIDGET_TARGET_NAME).filter(hasWidgetStates);
      const states = await Promise.all(owners.map((o) => o.widgetStates(THREAD_STATES_MS)));
      return states.filter((s): s is ManagerState => s !== undefined);
    });
  }

  /** One comm_open / comm_msg / comm_close from the frontend; settles once its handlers have. */
  async receive(req: InboundRequest<"comm_open" | "comm_msg" | "comm_close">): Promise<void> {
    const out = cellOutput(this.options.outbox, req.header, false);
    const msg: CommInbound = {
      header: req.header as unknown as CommHeader,
      content: { ...req.content },
      metadata: req.metadata,
      buffers: req.buffers,
    };
    const result = await this.options.routeOutput(out, () => this.router.receive(msg, out));
    if (result.status === "unknown comm")
      this.options.log.debug({ commId: result.commId, msgType: req.header.msg_type }, "message for a comm that is not open");
    else if (result.status === "unknown target")
      this.options.log.info({ target: result.target }, "comm_open for a target nobody registered: closed");
    else if (result.status === "invalid") this.options.log.warn({ reason: result.reason }, "invalid comm message; ignored");
  }

  info(targetName?: string): Record<string, { target_name: string }> {
    return this.router.info(targetName);
  }

  noteOutbound(owner: CommOwner<CellOutput>, msg: CommOutbound): void {
    this.router.noteOutbound(owner, msg);
  }

  setTargets(owner: CommOwner<CellOutput>, names: readonly string[]): void {
    this.router.setTargets(owner, names);
  }

  holds(owner: CommOwner<CellOutput>): boolean {
    return this.router.holds(owner);
  }

  ownersOf(target: string): CommOwner<CellOutput>[] {
    return this.router.ownersOf(target);
  }

  /** A thread ended: its comms are gone, so the frontend closes its ends too. */
  ownerGone(owner: CommOwner<CellOutput>): void {
    for (const id of this.router.ownerGone(owner)) {
      this.orphans.comm!({ msgType: "comm_close", content: { comm_id: id, data: {} }, metadata: {}, buffers: [] });
    }
  }
}
