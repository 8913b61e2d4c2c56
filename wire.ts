/**
 * flnet's wire formats and transport pieces, for tools, other implementations and tests: the
 * data-channel framing, the setup messages, the signalling protocol, ICE candidate parsing,
 * signed gossip events, and the WebSocket and signalling-client brokers the network is built
 * on. Applications rarely need them: `flnet`, `flnet/node` and `flnet/browser` are the API.
 *
 * @example Frames of a message, and the message rebuilt from them
 * ```ts
 * import { encodeMessage, Reassembler } from "./wire.ts";
 * const reassembler = new Reassembler({ maxMessageBytes: 1 << 20, incompleteTimeoutMs: 1000 });
 * for (const frame of encodeMessage(1, { module: "chat", data: "x".repeat(40_000) })) {
 *   for (const result of reassembler.push(frame)) console.log(result.kind); // "message"
 * }
 * reassembler.close();
 * ```
 * @module
 */

export {
  encodeBatch,
  encodeMessage,
  FRAME_BYTES,
  HEADER_BYTES,
  MAX_FRAME_BYTES,
  type Payload,
  payloadBytes,
} from "./net/framing.ts";
export {
  type IncompleteBudget,
  type IncompleteReport,
  Reassembler,
  type ReassemblerOptions,
  type ReassemblyResult,
} from "./net/reassembler.ts";
export {
  MAX_CLOCK_SKEW_MS,
  parseSetupSignal,
  SETUP_LIMITS,
  SETUP_VERSION,
  SetupAuthError,
  type SetupLimitedField,
  type SetupSignal,
  setupSigningText,
  type SignedSetup,
  signSetup,
  verifySetup,
} from "./net/setup_signal.ts";
export {
  CLOSE_MODULE,
  encodeRefusal,
  MAX_REFUSAL_TEXT,
  parseRefusal,
  type Refusal,
  type RefusalCode,
  REFUSED_MODULE,
  RESERVED_MODULE_PREFIX,
} from "./net/control.ts";
export {
  announcePayload,
  type ClientMessage,
  NODE_STATS_LIMITS,
  type NodeStats,
  parseClientMessage,
  parseServerMessage,
  type RequestId,
  type ServerMessage,
  SIGNAL_ERRORS,
  SIGNAL_PROTOCOL_VERSION,
  type SignalConfig,
  type SignalErrorCode,
  type SignalErrorMessage,
  SignalProtocolError,
} from "./net/signal_protocol.ts";
export { filterSdp, parseCandidate, sdpCandidates } from "./net/candidates.ts";
export { readConnectionStatus } from "./net/connection_status.ts";
export { createEvent, eventId, parseEvent, verifyEvent } from "./modules/gossip/event.ts";
export { CATEGORY_RULES, type CategoryRule, EventStore } from "./modules/gossip/store.ts";
export { fromHex, toHex } from "./core/ids.ts";
export { canonicalSignature, SMALL_ORDER_POINTS, weakPublicKey } from "./core/ed25519.ts";
export {
  startWebSocket,
  type WebSocketBroker,
  WebSocketConnection,
  type WebSocketIn,
  type WebSocketOptions,
  type WebSocketOut,
} from "./net/websocket.ts";
export {
  type SignalBroker,
  type SignalClientOptions,
  SignalConnection,
  type SignalIn,
  type SignalOut,
  startSignalClient,
} from "./net/signal_client.ts";
