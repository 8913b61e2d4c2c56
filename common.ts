/**
 * What every entry point exports: the runtime-neutral API of flnet, without the functions
 * that start a network (each entry point has its own, filled with its runtime's pieces). Import
 * `flnet`, `flnet/node` or `flnet/browser` rather than this file.
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
export { type NodeID, U256, type U256Functions } from "./core/ids.ts";
export {
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
  type LogLevel,
  logLevelFromVerbosity,
  type LogSink,
  setLogLevel,
  setLogSink,
} from "./core/log.ts";
export { type Rng, sample, secureRandom, seededRandom } from "./core/random.ts";
export {
  type ModuleChannel,
  Network,
  NetworkError,
  type NetworkMessage,
  type NetworkStartOptions,
} from "./net/api.ts";
export type { PeerEvent } from "./net/peer_watch.ts";
export { INBOX_LIMITS, type InboxLimits } from "./net/inbox.ts";
export {
  type ConnectionInfo,
  NetworkBroker,
  type NetworkIn,
  type NetworkOptions,
  type NetworkOut,
} from "./net/network.ts";
export type { NetworkErrorCode, PeerErrorCode } from "./net/errors.ts";
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
export type { ConnectionState, ConnectionStatus, SetupVia } from "./net/connection_status.ts";
export {
  allOf,
  type CandidateFilter,
  candidateFilters,
  type CandidateType,
  type ParsedCandidate,
} from "./net/candidates.ts";
export { type ChatMessage, Node, type NodeOptions, type NodeSnapshot } from "./node/node.ts";
export {
  type MemberEvent,
  Room,
  type RoomMessage,
  Rooms,
  type RoomsOptions,
} from "./node/rooms.ts";
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
