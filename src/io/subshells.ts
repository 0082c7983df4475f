/**
 * The subshell ids of the kernel (JEP 91), kept by the I/O worker: create, delete and list are
 * answered there, even while the main thread is stuck in a cell, and a shell request for a
 * subshell that does not exist is answered with an error there, never dropped. The main thread
 * owns what a subshell is (its queue, execution count, stop_on_error); the worker tells it when
 * one comes or goes.
 *
 * Spec (jupyter_client docs/messaging.rst, "Kernel subshells"): replies carry `status` "ok" or
 * "error" with error information "as in all other replies"; a delete of an id that does not
 * exist has failed, so it is an error (async-kernel answers ok; ipykernel answers an error).
 */
import { randomUUID } from "node:crypto";
import type { Header } from "../messaging/index.js";
import { type ErrorReplyContent, errorReply as error } from "./envelope.js";

/** More would only be a client creating subshells in a loop: bound the memory they take. */
export const MAX_SUBSHELLS = 1000;

export class Subshells {
  /** In creation order (list replies keep it). */
  private readonly ids = new Set<string>();

  /** A new subshell's id, or the error when there are too many. */
  create(): { id: string } | { error: ErrorReplyContent } {
    if (this.ids.size >= MAX_SUBSHELLS) {
      return { error: error("SubshellLimit", `cannot create more than ${MAX_SUBSHELLS} subshells; delete some first`) };
    }
    const id = randomUUID();
    this.ids.add(id);
    return { id };
  }

  /** Delete the subshell `content.subshell_id` names: its id, or the error. */
  delete(content: Record<string, unknown>): { id: string } | { error: ErrorReplyContent } {
    const id = content.subshell_id;
    if (typeof id !== "string") {
      return { error: error("SubshellNotFound", "delete_subshell_request needs content.subshell_id, the id of a subshell (a string)") };
    }
    if (!this.ids.delete(id)) return { error: error("SubshellNotFound", `there is no subshell with id ${JSON.stringify(id)}`) };
    return { id };
  }

  list(): string[] {
    return [...this.ids];
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /**
   * For a shell request: undefined when the main shell (no `subshell_id`, or null) or a live
   * subshell takes it; else the error to answer with.
   */
  refusal(header: Header): ErrorReplyContent | undefined {
    const id = (header as { subshell_id?: unknown }).subshell_id;
    if (id === undefined || id === null || (typeof id === "string" && this.ids.has(id))) return undefined;
    return error(
      "SubshellNotFound",
      `there is no subshell with id ${JSON.stringify(id)} (create one with create_subshell_request on the control channel)`,
    );
  }
}
