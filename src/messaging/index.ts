/**
 * The Jupyter messaging layer: wire frames, signatures, replay protection,
 * typed messages and the session that ties them together.
 *
 * It knows nothing of sockets, threads, queues or execution.
 *
 * @module
 */

export { DELIMITER, WireError, joinFrames, splitFrames } from "./wire.js";
export type { RawFrames, WireErrorCode } from "./wire.js";
export { Signer } from "./signer.js";
export { ReplayCache } from "./replay.js";
export { Session } from "./session.js";
export type { Header, Message, OutgoingMessage, SessionOptions } from "./session.js";
export * from "./messages.js";
export { codePointToIndex, indexToCodePoint } from "./positions.js";
export * from "./validate.js";
export { errorLine, oneLineTraceback } from "./traceback.js";
