/**
 * What both runtimes' signalling servers take and give: where to listen, what to serve, the
 * server's settings and its cluster; and the running server. The adapters (Deno's in
 * `adapters/deno/serve_signal.ts`, Node's in `adapters/node/serve_signal.ts`) implement them.
 * @module
 */

import type { ClusterBus, NatsAuth } from "./cluster_options.ts";
import type { SignalServer } from "./server.ts";
import type { SignalServerOptions } from "./server_options.ts";

/** Options of `serveSignal` (Deno) and `serveSignalOnNode` (Node): where to listen, what to serve, and the server settings. */
export interface ServeSignalOptions extends Partial<SignalServerOptions> {
  /** TCP port; 0 picks a free one (default 8765). */
  port?: number;
  /** Interface to listen on (default 127.0.0.1; `0.0.0.0` serves other machines). */
  host?: string;
  /** Directory of static files served over HTTP (the demo); none by default. */
  staticDir?: string;
  /**
   * NATS servers (`nats://host:4222`, or `tls://host:4222` to require TLS; no credentials in
   * them: see `natsAuth`): with them, this server is one of a cluster sharing the work (see
   * `SignalServer.joinCluster`); without, it works alone.
   */
  nats?: string[];
  /** Credentials and TLS settings for NATS. */
  natsAuth?: NatsAuth;
  /**
   * Connects to the NATS servers of `nats` (the entry points give the NATS adapter: only a
   * clustered server loads the NATS client).
   */
  connectBus?: (urls: string[], auth?: NatsAuth) => Promise<ClusterBus>;
  /** The cluster's name, when several clusters share one NATS (default "flnet"). */
  cluster?: string;
  /**
   * A file holding the TURN server's shared secret (coturn's `static-auth-secret`), read at
   * start into `turn.secret`; keeps the secret off the command line.
   */
  turnSecretFile?: string;
  /**
   * Count connections by the address a reverse proxy puts last in `X-Forwarded-For` instead of
   * the socket's (default false: only for a server that only a trusted proxy can reach).
   */
  trustProxy?: boolean;
  /**
   * Close an HTTP connection whose request headers have not all arrived after this long
   * (default 10 s). Node only: Deno's HTTP server offers no such timeout (see docs/deploy.md).
   */
  headerTimeoutMs?: number;
  /**
   * Pages (origins such as `https://app.example.org`) whose scripts may open a WebSocket here;
   * a client naming another `Origin` is refused (403). Default: any, with a warning at start
   * when the server listens beyond loopback (any web page could make its visitors' browsers
   * free identities on this server).
   */
  allowOrigins?: string[];
  /**
   * A file holding a token that `/stats`, `/nodes` and `/metrics` then ask for
   * (`Authorization: Bearer <token>`); without, they are open to anyone who reaches the server.
   */
  adminTokenFile?: string;
}

/** A server that is listening. */
export interface RunningSignalServer {
  /** The protocol logic, for its stats. */
  server: SignalServer;
  /** The port actually listened on. */
  port: number;
  /** The WebSocket URL nodes connect to. */
  url: string;
  /** Tells nodes, closes every connection and stops listening. */
  close(): Promise<void>;
}
