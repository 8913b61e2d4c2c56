/**
 * What every entry point exports: the runtime-neutral API of flnet, without the functions
 * that start a network or a node (each entry point has its own, filled with its runtime's
 * pieces). Import `flnet`, `flnet/node` or `flnet/browser` rather than this file; the building
 * blocks under a `Node` (brokers, modules, timers, the log) are in `flnet/modules`.
 * @module
 */

export { Broker, type Subscription } from "./core/broker.ts";
export { type NodeID, U256 } from "./core/ids.ts";
export {
  NodeConfig,
  NodeConfigError,
  type NodeConfigOptions,
  type NodeInfo,
} from "./core/config.ts";
export { type DataStorage, MemoryStorage } from "./core/storage.ts";
export { type LogLevel, setLogLevel } from "./core/log.ts";
export {
  type ModuleChannel,
  Network,
  NetworkError,
  type NetworkMessage,
  type NetworkStartOptions,
} from "./net/api.ts";
export type { PeerEvent } from "./net/peer_watch.ts";
export type { ConnectionInfo } from "./net/network.ts";
export type { NetworkErrorCode } from "./net/errors.ts";
export type { ConnectionStatus } from "./net/connection_status.ts";
export { type CandidateFilter, candidateFilters } from "./net/candidates.ts";
export { type ChatMessage, Node, type NodeOptions, type NodeSnapshot } from "./node/node.ts";
export { type MemberEvent, Room, type RoomMessage } from "./node/rooms.ts";
