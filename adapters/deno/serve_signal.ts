/**
 * Runs a {@link SignalServer} on Deno: WebSockets through `Deno.upgradeWebSocket`, and plain
 * HTTP beside them: `GET /health`, `GET /stats`, `GET /nodes`, and static files (the browser
 * demo) from one directory.
 *
 * @example
 * ```ts
 * import { serveSignal } from "./serve_signal.ts";
 * const running = await serveSignal({ port: 0 }); // an ephemeral port
 * console.log(running.url); // ws://127.0.0.1:<port>
 * await running.close();
 * ```
 * @module
 */

import { Logger } from "../../core/log.ts";
import { createSignalServer } from "../../signal/create_server.ts";
import { clientAddress } from "../../signal/client_address.ts";
import {
  exposureWarnings,
  httpResponse,
  originRefusal,
  readAdminToken,
  type StaticFiles,
} from "../../signal/http_routes.ts";
import type { RunningSignalServer, ServeSignalOptions } from "../../signal/serve_options.ts";
import { connectNats } from "../nats/connect.ts";

export type { RunningSignalServer, ServeSignalOptions } from "../../signal/serve_options.ts";

const log = new Logger("signal");

/** Starts listening and resolves once the port is open. */
export async function serveSignal(options: ServeSignalOptions = {}): Promise<RunningSignalServer> {
  const {
    port = 8765,
    host = "127.0.0.1",
    staticDir,
    trustProxy = false,
    headerTimeoutMs: _,
    allowOrigins,
    adminTokenFile,
    ...serverOptions
  } = options;
  const adminToken = await readAdminToken(adminTokenFile, (path) => Deno.readTextFile(path));
  const server = await createSignalServer(
    { connectBus: connectNats, ...serverOptions },
    (path) => Deno.readTextFile(path),
  );
  const started = Date.now();
  const root = staticDir ? await Deno.realPath(staticDir) : undefined;
  const handler = (request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) => {
    if (request.headers.get("upgrade")?.toLowerCase() === "websocket") {
      const refused = originRefusal(request.headers.get("origin"), allowOrigins);
      if (refused) return new Response(`${refused}\n`, { status: 403 });
      return upgrade(
        request,
        clientAddress(
          info.remoteAddr.hostname,
          request.headers.get("x-forwarded-for"),
          trustProxy,
        ),
      );
    }
    return respond(request);
  };
  let stopping = false;
  let listening!: (addr: Deno.NetAddr) => void;
  const listened = new Promise<Deno.NetAddr>((resolve) => listening = resolve);
  let http = Deno.serve({ port, hostname: host, onListen: listening }, handler);
  const addr = await listened;
  // Deno.serve's accept loop ends when accepting fails (out of file descriptors, say): listen
  // again on the same port, backing off while it keeps failing; connected nodes are not touched.
  const relisten = async (error: unknown, delay: number): Promise<void> => {
    if (stopping) return;
    log.warn(
      `the listener stopped (${String(error).slice(0, 200)}); listening again in ${delay} ms`,
    );
    await new Promise((resolve) => setTimeout(resolve, delay));
    if (stopping) return;
    try {
      http = Deno.serve({ port: addr.port, hostname: host, onListen: () => {} }, handler);
      watch(http);
    } catch (again) {
      await relisten(again, Math.min(delay * 2, 2_000));
    }
  };
  const watch = (current: Deno.HttpServer) =>
    current.finished.then(
      () => relisten("the accept loop ended", 100),
      (error) => relisten(error, 100),
    );
  watch(http);

  const sockets = new Map<WebSocket, Promise<void>>();
  function upgrade(request: Request, address: string): Response {
    const { socket, response } = Deno.upgradeWebSocket(request);
    let closed!: () => void;
    sockets.set(socket, new Promise((resolve) => closed = resolve));
    socket.onopen = () => {
      const connection = server.connect(socket, address);
      socket.onmessage = (event) => connection.receive(event.data);
      socket.onclose = () => {
        sockets.delete(socket);
        closed();
        connection.closed();
      };
      socket.onerror = () => connection.closed();
    };
    return response;
  }

  function respond(request: Request): Promise<Response> {
    const url = new URL(request.url);
    return httpResponse({
      method: request.method,
      target: url.pathname + url.search,
      authorization: request.headers.get("authorization") ?? undefined,
    }, { server, started, files: root ? denoFiles(root) : undefined, adminToken });
  }

  const url = `ws://${
    addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname
  }:${addr.port}`;
  log.info(`listening on ${url}`);
  const exposure = { allowOrigins, adminToken, headerTimeout: false };
  for (const warning of exposureWarnings(host, exposure)) log.warn(warning);
  return {
    server,
    port: addr.port,
    url,
    async close() {
      stopping = true;
      await server.close();
      // Let the "shutting-down" errors and close frames go out before the listener stops.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all(sockets.values()),
        new Promise((resolve) => timer = setTimeout(resolve, 2000)),
      ]);
      clearTimeout(timer);
      await http.shutdown();
    },
  };
}

/** Files under `root` on Deno: no symbolic links out of it. */
function denoFiles(root: string): StaticFiles {
  return {
    async read(segments) {
      let file = [root, ...segments].join("/");
      try {
        if ((await Deno.stat(file)).isDirectory) file += "/index.html";
        const real = await Deno.realPath(file);
        if (real !== root && !real.startsWith(root + "/")) return undefined;
        return { body: await Deno.readFile(real), file: real };
      } catch {
        return undefined;
      }
    },
  };
}
