/**
 * flnet: decentralized networks of nodes in browsers, Deno and Node that talk to each other
 * directly over WebRTC data channels.
 *
 * This entry point is runtime-neutral: it only uses Web standard APIs. `flnet/node` and
 * `flnet/browser` add the pieces that differ per runtime (storage, WebRTC engine).
 *
 * @example A module is a broker; a node has an identity
 * ```ts
 * import { Broker, MemoryStorage, NodeConfig, U256 } from "./mod.ts";
 *
 * const config = await NodeConfig.load(new MemoryStorage()); // created on first use
 * console.log(config.info.name, U256.short(config.id));
 *
 * const echo = new Broker<string, string>("echo");
 * echo.addHandler({ messages: (batch) => batch.map((text) => `echo: ${text}`) });
 * echo.tapOut((reply) => console.log(reply));
 * await echo.emitIn("hello"); // prints "echo: hello"
 * ```
 * @module
 */

export {
  Broker,
  BrokerChannel,
  BrokerClosedError,
  type BrokerErrorReport,
  type Direction,
  type Handler,
  type Subscription,
  type Tap,
  type Translator,
} from "./core/broker.ts";
export { fromHex, type NodeID, NodeIDs, toHex, U256, type U256Functions } from "./core/ids.ts";
export {
  MODULE_NAMES,
  type ModuleName,
  NODE_CONFIG_VERSION,
  NODE_INFO_LIMITS,
  NodeConfig,
  NodeConfigError,
  type NodeConfigOptions,
  nodeIdOf,
  type NodeInfo,
  parseNodeInfo,
  randomName,
  verifySignature,
} from "./core/config.ts";
export { checkStorageKey, type DataStorage, MemoryStorage, StorageError } from "./core/storage.ts";
export {
  IntervalTimer,
  SimulatedTimer,
  type Tick,
  type Timer,
  type TimerBroker,
} from "./core/timer.ts";
export {
  consoleSink,
  getLogLevel,
  LOG_LEVELS,
  Logger,
  type LogLevel,
  logLevelFromVerbosity,
  type LogSink,
  setLogLevel,
  setLogSink,
} from "./core/log.ts";
export { type Rng, sample, secureRandom, seededRandom } from "./core/random.ts";
export {
  startWebSocket,
  type WebSocketBroker,
  type WebSocketConstructor,
  type WebSocketIn,
  type WebSocketLike,
  type WebSocketOptions,
  type WebSocketOut,
} from "./net/websocket.ts";
export {
  type SignalBroker,
  type SignalClientOptions,
  type SignalIn,
  type SignalOut,
  startSignalClient,
} from "./net/signal_client.ts";
export {
  Network,
  networkBrokerStart,
  NetworkError,
  type NetworkMessage,
  networkStart,
  type NetworkStartOptions,
} from "./net/api.ts";
export {
  type ConnectionInfo,
  type NetworkBroker,
  type NetworkIn,
  type NetworkOptions,
  type NetworkOut,
  startNetwork,
} from "./net/network.ts";
export { parseSetupSignal, type SetupSignal } from "./net/setup_signal.ts";
export type { NetworkErrorCode, PeerErrorCode } from "./net/errors.ts";
export { newSendId } from "./net/send_id.ts";
export { PeerSetup, type RTCPeerConnectionConstructor } from "./net/peer_setup.ts";
export {
  type ConnectionState,
  type ConnectionStatus,
  readConnectionStatus,
} from "./net/connection_status.ts";
export {
  allOf,
  type CandidateFilter,
  candidateFilters,
  type CandidateType,
  filterSdp,
  parseCandidate,
  type ParsedCandidate,
  sdpCandidates,
} from "./net/candidates.ts";
export {
  encodeMessage,
  FRAME_BYTES,
  HEADER_BYTES,
  type Payload,
  payloadBytes,
  Reassembler,
  type ReassemblerOptions,
  type ReassemblyResult,
} from "./net/framing.ts";
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
export { type ChatMessage, Node, type NodeOptions, type NodeSnapshot } from "./node/node.ts";
export {
  type AboveRandomIn,
  type AboveRandomOut,
  linkAboveRandom,
  linkRandomToNetwork,
  linkRandomToTimer,
  type RandomBroker,
  startRandom,
} from "./modules/random/module.ts";
export {
  RANDOM_DEFAULTS,
  RANDOM_MODULE,
  type RandomConfig,
  type RandomIn,
  type RandomOut,
  type RandomState,
} from "./modules/random/messages.ts";
export { RandomLogic, targetDegree } from "./modules/random/logic.ts";
export {
  type GossipBroker,
  type GossipOptions,
  linkGossipToRandom,
  linkGossipToTimer,
  startGossip,
} from "./modules/gossip/module.ts";
export {
  GOSSIP_DEFAULTS,
  GOSSIP_MODULE,
  type GossipConfig,
  type GossipIn,
  type GossipOut,
  type GossipState,
} from "./modules/gossip/messages.ts";
export {
  CATEGORIES,
  createEvent,
  eventId,
  type GossipEvent,
  parseEvent,
  verifyEvent,
} from "./modules/gossip/event.ts";
export { CATEGORY_RULES, type CategoryRule, EventStore } from "./modules/gossip/store.ts";
export {
  linkPingToRandom,
  linkPingToTimer,
  type PingBroker,
  startPing,
} from "./modules/ping/module.ts";
export {
  PING_DEFAULTS,
  PING_MODULE,
  type PingConfig,
  type PingIn,
  type PingOut,
  type PingStat,
  type PingState,
} from "./modules/ping/messages.ts";
export {
  linkPingToStat,
  linkStatToNetwork,
  linkStatToTimer,
  startStat,
  type StatBroker,
  summarize,
} from "./modules/stat/module.ts";
export {
  type ConnectionStat,
  STAT_DEFAULTS,
  type StatConfig,
  type StatIn,
  type StatOut,
  type StatState,
} from "./modules/stat/messages.ts";
