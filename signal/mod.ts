/**
 * The flnet signalling server, as a library: {@link SignalServer} is the runtime-neutral
 * protocol logic, {@link serveSignal} runs it on Deno with HTTP status endpoints.
 * `deno run -A signal/main.ts --help` runs it from the command line.
 *
 * @example
 * ```ts
 * import { serveSignal } from "./mod.ts";
 * const running = await serveSignal({ port: 0, maxListLength: 20 });
 * console.log(`nodes connect to ${running.url}`);
 * await running.close();
 * ```
 * @module
 */

export { SignalServer } from "./server.ts";
export {
  type ServerSideConnection,
  SIGNAL_DEFAULTS,
  type SignalNodeView,
  type SignalPeer,
  type SignalServerOptions,
  type SignalStats,
} from "./server_options.ts";
export { serveSignal } from "../adapters/deno/serve_signal.ts";
export type { RunningSignalServer, ServeSignalOptions } from "./serve_options.ts";
export { SignalCluster } from "./cluster.ts";
export {
  type AnnounceProof,
  CLUSTER_DEFAULTS,
  type ClusterBus,
  type ClusterHost,
  type ClusterOptions,
  type ClusterStats,
  type NatsAuth,
  NoRespondersError,
  type RelayOutcome,
} from "./cluster_options.ts";
export {
  DEFAULT_TURN_TTL_SECONDS,
  turnCredentials,
  type TurnGrant,
  type TurnGrantOptions,
} from "./turn_credentials.ts";
