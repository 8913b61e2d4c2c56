/**
 * flnet/modules: the building blocks under a `Node`, for writing modules of your own and for
 * wiring nodes differently: the broker and its parts, the Network broker and its registrar,
 * `linkModule`, the modules (random connections, gossip, ping, stat) with their logic classes,
 * the wiring a `Node` uses, rooms, timers, randomness and the log. Applications use `flnet`,
 * `flnet/node` or `flnet/browser`.
 *
 * @example A module that answers every message with "pong", on the Network broker
 * ```ts
 * import { Broker, type NodeID } from "./mod.ts";
 * import { linkModule, type ModuleLinkIn, type NetworkBroker } from "./modules.ts";
 *
 * type PongOut = { type: "send"; to: NodeID; data: string };
 * export function startPong(network: NetworkBroker): Broker<ModuleLinkIn, PongOut> {
 *   const pong = new Broker<ModuleLinkIn, PongOut>("pong");
 *   pong.addHandler({
 *     messages: (batch) =>
 *       batch.flatMap((msg): PongOut[] =>
 *         msg.type === "message" ? [{ type: "send", to: msg.from, data: "pong" }] : []
 *       ),
 *   });
 *   linkModule(pong, network, "pong", (out) => out, (msg) => msg);
 *   return pong;
 * }
 * ```
 * @module
 */

export {
  BrokerChannel,
  BrokerClosedError,
  type BrokerErrorReport,
  type Direction,
  type Handler,
  type Tap,
  type Translator,
} from "./core/broker.ts";
export type { U256Functions } from "./core/ids.ts";
export {
  NODE_CONFIG_VERSION,
  NODE_INFO_LIMITS,
  nodeIdOf,
  parseNodeInfo,
  randomName,
  verifySignature,
} from "./core/config.ts";
export { checkStorageKey, StorageError } from "./core/storage.ts";
export type { NodeSettings } from "./core/node_settings.ts";
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
  logLevelFromVerbosity,
  type LogSink,
  setLogSink,
  ThrottledWarning,
} from "./core/log.ts";
export { type Rng, sample, secureRandom, seededRandom } from "./core/random.ts";
export { checkSignalUrl, openNetwork } from "./net/api.ts";
export { INBOX_LIMITS, type InboxLimits } from "./net/inbox.ts";
export {
  NetworkBroker,
  type NetworkIn,
  type NetworkOptions,
  type NetworkOut,
} from "./net/network.ts";
export type { PeerErrorCode } from "./net/errors.ts";
export type {
  MessageRefusal,
  ModuleHandler,
  Registrar,
  Registration,
  SendOptions,
} from "./net/registrar.ts";
export {
  linkModule,
  type ModuleLinkIn,
  type ModuleLinkOptions,
  type ModuleSend,
} from "./net/module_link.ts";
export type { RTCPeerConnectionConstructor } from "./net/peer_setup.ts";
export type { ServerUrls, WebSocketConstructor, WebSocketLike } from "./net/websocket.ts";
export type { ConnectionState, SetupVia } from "./net/connection_status.ts";
export { allOf, type CandidateType, type ParsedCandidate } from "./net/candidates.ts";
export { Rooms, type RoomsOptions } from "./node/rooms.ts";
export {
  NODE_MODULES,
  type NodeModuleName,
  type NodeModules,
  wireModules,
  type WiringOptions,
} from "./node/wiring.ts";
export {
  linkRandomToNetwork,
  linkRandomToTimer,
  type RandomBroker,
  startRandom,
} from "./modules/random/module.ts";
export {
  RANDOM_DEFAULTS,
  type RandomConfig,
  type RandomIn,
  type RandomOut,
  type RandomState,
} from "./modules/random/messages.ts";
export { RandomLogic, targetDegree } from "./modules/random/logic.ts";
export {
  type GossipBroker,
  type GossipOptions,
  linkGossipToNetwork,
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
export { CATEGORIES, type GossipEvent } from "./modules/gossip/event.ts";
export type { NeighbourLink, NeighbourList } from "./modules/gossip/neighbour_list.ts";
export { NEIGHBOUR_LIST_REFRESH_PERIODS } from "./node/neighbour_lists.ts";
export {
  linkPingToNetwork,
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
  linkStatToNetwork,
  linkStatToTimer,
  startStat,
  type StatBroker,
} from "./modules/stat/module.ts";
export { StatLogic, summarize } from "./modules/stat/logic.ts";
export {
  type ConnectionStat,
  STAT_DEFAULTS,
  type StatConfig,
  type StatIn,
  type StatOut,
  type StatState,
} from "./modules/stat/messages.ts";
