/**
 * The signalling server on Node: `node:http` for HTTP and the `ws` package for WebSockets,
 * around the same protocol logic ({@link SignalServer}) and HTTP routes as the Deno server
 * (`adapters/deno/serve_signal.ts`): `/health`, `/stats`, `/nodes`, the demo with `staticDir`. It also runs
 * on Deno (through its Node compatibility), which is how the tests drive it beside a Node
 * process.
 *
 * @example
 * ```ts
 * import { serveSignalOnNode } from "./serve_signal.ts";
 * const running = await serveSignalOnNode({ port: 0 });
 * console.log(running.url); // ws://127.0.0.1:<port>
 * await running.close();
 * ```
 * @module
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { readFile, realpath, stat } from "node:fs/promises";
import { join, sep } from "node:path";
// @ts-types="./ws_types.d.ts"
import { type WebSocket, WebSocketServer } from "ws";
import { Logger } from "../../core/log.ts";
import {
  exposureWarnings,
  httpResponse,
  originRefusal,
  readAdminToken,
  type StaticFiles,
} from "../../signal/http_routes.ts";
import type { RunningSignalServer, ServeSignalOptions } from "../../signal/serve_options.ts";
import { createSignalServer } from "../../signal/create_server.ts";
import { connectNats } from "../nats/connect.ts";
import { addressKey, clientAddress } from "../../signal/client_address.ts";

const log = new Logger("signal");

/** Starts the signalling server on Node and resolves once it listens. */
export async function serveSignalOnNode(
  options: ServeSignalOptions = {},
): Promise<RunningSignalServer> {
  const {
    port = 8765,
    host = "127.0.0.1",
    staticDir,
    trustProxy = false,
    headerTimeoutMs = 10_000,
    allowOrigins,
    adminTokenFile,
    ...serverOptions
  } = options;
  const adminToken = await readAdminToken(adminTokenFile, (path) => readFile(path, "utf8"));
  const server = await createSignalServer(
    { connectBus: connectNats, ...serverOptions },
    (path) => readFile(path, "utf8"),
  );
  const started = Date.now();
  const files = staticDir ? nodeFiles(await realpath(staticDir)) : undefined;
  const sockets = new Set<WebSocket>();
  // frames far over the protocol's limit are cut off by ws; the protocol refuses the rest
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: Math.max(1 << 20, 4 * server.options.maxFrameBytes),
  });

  const http = createServer({
    headersTimeout: headerTimeoutMs,
    requestTimeout: 2 * headerTimeoutMs,
    connectionsCheckingInterval: Math.min(1_000, headerTimeoutMs / 2),
  }, (request, response) => void answer(request, response));
  if (!trustProxy) limitSocketsPerAddress(http, 2 * server.options.maxConnectionsPerAddress + 16);
  async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      const reply = await httpResponse({
        method: request.method ?? "GET",
        target: request.url ?? "/",
        authorization: request.headers.authorization,
      }, { server, started, files, adminToken });
      response.writeHead(reply.status, Object.fromEntries(reply.headers));
      response.end(
        request.method === "HEAD" ? undefined : new Uint8Array(await reply.arrayBuffer()),
      );
    } catch (error) {
      log.warn("an HTTP request failed", error);
      response.destroy();
    }
  }
  http.on("upgrade", (request, socket, head) => {
    const refused = originRefusal(request.headers.origin, allowOrigins);
    if (refused) {
      socket.end(
        `HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\nconnection: close\r\n` +
          `content-length: ${refused.length + 1}\r\n\r\n${refused}\n`,
      );
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      sockets.add(ws);
      const address = clientAddress(
        request.socket.remoteAddress ?? "unknown",
        request.headers["x-forwarded-for"]?.toString(),
        trustProxy,
      );
      const connection = server.connect({
        send: (text) => ws.send(text),
        close: (code, reason) => ws.close(code, reason),
        get bufferedAmount() {
          return ws.bufferedAmount;
        },
      }, address);
      ws.on("message", (data, isBinary) => connection.receive(isBinary ? data : data.toString()));
      ws.on("close", () => {
        sockets.delete(ws);
        connection.closed();
      });
      ws.on("error", () => connection.closed());
    });
  });
  // accept failures (out of file descriptors) are retried by libuv; report, never crash
  http.on("error", (error) => log.warn("the HTTP listener reported an error", error));

  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(port, host, () => {
      http.off("error", reject);
      resolve();
    });
  });
  const address = http.address();
  const actualPort = typeof address === "object" && address ? address.port : port;
  const url = `ws://${host.includes(":") ? `[${host}]` : host}:${actualPort}`;
  log.info(`listening on ${url}`);
  const exposure = { allowOrigins, adminToken, headerTimeout: true };
  for (const warning of exposureWarnings(host, exposure)) log.warn(warning);
  return {
    server,
    port: actualPort,
    url,
    async close() {
      await server.close();
      // Let the "shutting-down" errors and close frames go out before the listener stops.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all(
          [...sockets].map((ws) => new Promise<void>((resolve) => ws.once("close", resolve))),
        ),
        new Promise((resolve) => timer = setTimeout(resolve, 2000)),
      ]);
      clearTimeout(timer);
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    },
  };
}

/**
 * Destroys a TCP connection at once when its address already holds `limit` of them (HTTP,
 * half-open or WebSocket), before it costs more than its descriptor; the protocol's own
 * per-address limit, lower, answers WebSocket clients with an error code.
 */
function limitSocketsPerAddress(http: Server, limit: number): void {
  const open = new Map<string, number>();
  http.on("connection", (socket: Socket) => {
    const key = addressKey(socket.remoteAddress ?? "unknown");
    const count = open.get(key) ?? 0;
    if (count >= limit) {
      log.debug(`refusing a connection from ${key}: it holds ${limit}`);
      socket.destroy();
      return;
    }
    open.set(key, count + 1);
    socket.once("close", () => {
      const left = (open.get(key) ?? 1) - 1;
      if (left > 0) open.set(key, left);
      else open.delete(key);
    });
  });
}

/** Files under `root` on Node: no symbolic links out of it. */
function nodeFiles(root: string): StaticFiles {
  return {
    async read(segments) {
      let file = join(root, ...segments);
      try {
        if ((await stat(file)).isDirectory()) file = join(file, "index.html");
        const real = await realpath(file);
        if (real !== root && !real.startsWith(root + sep)) return undefined;
        return { body: new Uint8Array(await readFile(real)), file: real };
      } catch {
        return undefined;
      }
    },
  };
}
