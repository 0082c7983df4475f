import { describe, expect, it } from "vitest";

import {
  PROTOCOL_VERSION,
  isCommCloseMsg,
  isCommInfoRequestMsg,
  isCommMsgMsg,
  isCommOpenMsg,
  isCompleteRequestMsg,
  isConnectRequestMsg,
  isControlMessageType,
  isCreateSubshellRequestMsg,
  isDebugRequestMsg,
  isDeleteSubshellRequestMsg,
  isExecuteRequestMsg,
  isHistoryRequestMsg,
  isInputReplyMsg,
  isInspectRequestMsg,
  isInterruptRequestMsg,
  isIsCompleteRequestMsg,
  isKernelInfoRequestMsg,
  isListSubshellRequestMsg,
  isMessageType,
  isShellMessageType,
  isShutdownRequestMsg,
} from "../../src/messaging/messages.js";
import type {
  ExecuteReplyContent,
  IHasMsgType,
  IMessage,
  IsCompleteReplyContent,
  MessageType,
  ReplyContent,
} from "../../src/messaging/messages.js";
import { Session } from "../../src/messaging/session.js";

const session = new Session({ key: "k" });

/** A received-style message (what Session.deserialize returns) of the given type. */
function received(msgType: string) {
  const frames = session.message(msgType as MessageType, { code: "1 + 1" });
  return new Session({ key: "k" }).deserialize(frames);
}

const GUARDS: [(msg: IHasMsgType) => boolean, MessageType][] = [
  [isExecuteRequestMsg, "execute_request"],
  [isInspectRequestMsg, "inspect_request"],
  [isCompleteRequestMsg, "complete_request"],
  [isHistoryRequestMsg, "history_request"],
  [isIsCompleteRequestMsg, "is_complete_request"],
  [isConnectRequestMsg, "connect_request"],
  [isCommInfoRequestMsg, "comm_info_request"],
  [isKernelInfoRequestMsg, "kernel_info_request"],
  [isCommOpenMsg, "comm_open"],
  [isCommMsgMsg, "comm_msg"],
  [isCommCloseMsg, "comm_close"],
  [isShutdownRequestMsg, "shutdown_request"],
  [isInterruptRequestMsg, "interrupt_request"],
  [isDebugRequestMsg, "debug_request"],
  [isCreateSubshellRequestMsg, "create_subshell_request"],
  [isDeleteSubshellRequestMsg, "delete_subshell_request"],
  [isListSubshellRequestMsg, "list_subshell_request"],
  [isInputReplyMsg, "input_reply"],
];

describe("messaging/messages", () => {
  it("speaks protocol version 5.5", () => {
    expect(PROTOCOL_VERSION).toBe("5.5");
  });

  describe("the isXxxMsg guards", () => {
    for (const [guard, msgType] of GUARDS) {
      it(`${guard.name} accepts exactly ${msgType} messages`, () => {
        expect(guard(received(msgType))).toBe(true);
        for (const [, other] of GUARDS) {
          if (other !== msgType) expect(guard(received(other))).toBe(false);
        }
        expect(guard(received("usage_request"))).toBe(false);
      });
    }

    it("narrow a deserialized message so its content is typed", () => {
      const msg = received("execute_request");
      if (!isExecuteRequestMsg(msg)) throw new Error("expected an execute_request");
      // Compiles only because the guard narrowed content to IExecuteRequestContent.
      const code: string = msg.content.code;
      expect(code).toBe("1 + 1");
      expect(msg.identities).toEqual([]);
    });

    it("isMessageType() narrows to any given type", () => {
      const msg = received("inspect_request");
      expect(isMessageType(msg, "inspect_request")).toBe(true);
      expect(isMessageType(msg, "complete_request")).toBe(false);
    });
  });

  describe("isShellMessageType() and isControlMessageType()", () => {
    it("know which channel a request belongs to", () => {
      expect(isShellMessageType("execute_request")).toBe(true);
      expect(isShellMessageType("comm_open")).toBe(true);
      expect(isShellMessageType("interrupt_request")).toBe(false);
      expect(isControlMessageType("interrupt_request")).toBe(true);
      expect(isControlMessageType("create_subshell_request")).toBe(true);
      expect(isControlMessageType("execute_request")).toBe(false);
    });

    it("accept kernel_info_request and shutdown_request on both channels", () => {
      for (const t of ["kernel_info_request", "shutdown_request"]) {
        expect(isShellMessageType(t)).toBe(true);
        expect(isControlMessageType(t)).toBe(true);
      }
    });

    it("reject unknown and IOPub types", () => {
      for (const t of ["usage_request", "status", "stream", "", "EXECUTE_REQUEST"]) {
        expect(isShellMessageType(t)).toBe(false);
        expect(isControlMessageType(t)).toBe(false);
      }
    });
  });

  describe("ReplyContent", () => {
    /** Narrowing on status is what the union is for; this must compile and behave. */
    function describeReply(content: ReplyContent<{ found: boolean }>): string {
      switch (content.status) {
        case "ok":
          return `found=${String(content.found)}`;
        case "error":
          return `${content.ename}: ${content.evalue}`;
        case "aborted":
          return "aborted";
      }
    }

    it("is discriminated on status", () => {
      expect(describeReply({ status: "ok", found: true })).toBe("found=true");
      expect(describeReply({ status: "error", ename: "E", evalue: "v", traceback: [] })).toBe("E: v");
      expect(describeReply({ status: "aborted" })).toBe("aborted");
    });

    it("types execute_reply with an execution_count for every status", () => {
      const replies: ExecuteReplyContent[] = [
        { status: "ok", execution_count: 3, user_expressions: {} },
        { status: "error", execution_count: 3, ename: "E", evalue: "v", traceback: ["t"] },
        { status: "aborted", execution_count: null },
      ];
      expect(replies.map((r) => r.execution_count)).toEqual([3, 3, null]);
    });

    it("types is_complete_reply with its verdict as status", () => {
      const replies: IsCompleteReplyContent[] = [
        { status: "incomplete", indent: "  " },
        { status: "complete" },
        { status: "invalid" },
        { status: "unknown" },
      ];
      const indents = replies.map((r) => (r.status === "incomplete" ? r.indent : null));
      expect(indents).toEqual(["  ", null, null, null]);
    });
  });

  describe("IMessage", () => {
    it("ties content to msg_type and serializes as is", () => {
      const msg: IMessage<"status"> = {
        header: session.header("status"),
        parent_header: {},
        metadata: {},
        content: { execution_state: "busy" },
        channel: "iopub",
      };
      const back = new Session({ key: "k" }).deserialize(session.serialize(msg));
      expect(back.content).toEqual({ execution_state: "busy" });
      expect(back.header.msg_type).toBe("status");
    });
  });
});
