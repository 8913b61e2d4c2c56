/**
 * Runs a {@link SignalServer} on Deno: WebSockets through `Deno.upgradeWebSocket`, and plain
 * HTTP beside them: `GET /health`, `GET /stats`, `GET /nodes`, and static files (the browser
 * demo) from one directory.
 *
 * @example
 * ```ts
 * import { serveSignal } from "./serve.ts";
 * const running = await serveSignal({ port: 0 }); // an ephemeral port
 * console.log(running.url); // ws://127.0.0.1:<port>
 * await running.close();
 * ```
 * @module
 */

import { Logger } from "../core/log.ts";
import { SIGNAL_PROTOCOL_VERSION } from "../net/signal_protocol.ts";
import { SIGNAL_DEFAULTS, SignalServer, type SignalServerOptions } from "./server.ts";
import denoConfig from "../deno.json" with { type: "json" };

/** Options of {@link serveSignal}: where to listen, what to serve, and the server settings. */
export interface ServeSignalOptions extends Partial<SignalServerOptions> {
  /** TCP port; 0 picks a free one (default 8765). */
  port?: number;
  /** Interface to listen on (default 127.0.0.1; `0.0.0.0` serves other machines). */
  host?: string;
  /** Directory of static files served over HTTP (the demo); none by default. */
  staticDir?: string;
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

const log = new Logger("signal");

const CONTENT_TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  json: "application/json",
  map: "application/json",
  svg: "image/svg+xml",
  png: "image/png",
  ico: "image/x-icon",
  txt: "text/plain; charset=utf-8",
  wasm: "application/wasm",
};

/** Starts listening and resolves once the port is open. */
export async function serveSignal(options: ServeSignalOptions = {}): Promise<RunningSignalServer> {
  const { port = 8765, host = "127.0.0.1", staticDir, ...serverOptions } = options;
  // each connection holds a file descriptor: stay well below the process's limit, so that a
  // flood of connections is refused by the server instead of failing the accept loop
  const fdLimit = await openFileLimit();
  const fdRoom = fdLimit === undefined ? Infinity : Math.max(16, fdLimit - FD_RESERVE);
  const wanted = serverOptions.maxConnections ?? SIGNAL_DEFAULTS.maxConnections;
  if (wanted > fdRoom) {
    log.warn(
      `--max-conns ${wanted} is over what this process's open-file limit (${fdLimit}) allows: ` +
        `holding at most ${fdRoom} (raise it with \`ulimit -n\`)`,
    );
  }
  const server = new SignalServer({
    ...serverOptions,
    maxConnections: Math.min(wanted, fdRoom),
  });
  const started = Date.now();
  const root = staticDir ? await Deno.realPath(staticDir) : undefined;
  const handler = (request: Request) => {
    if (request.headers.get("upgrade")?.toLowerCase() === "websocket") return upgrade(request);
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
  function upgrade(request: Request): Response {
    const { socket, response } = Deno.upgradeWebSocket(request);
    let closed!: () => void;
    sockets.set(socket, new Promise((resolve) => closed = resolve));
    socket.onopen = () => {
      const connection = server.connect(socket);
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

  async function respond(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("only GET and HEAD are served\n", { status: 405 });
    }
    switch (path) {
      case "/health":
        return Response.json({
          status: "ok",
          server: "flnet-signal",
          version: denoConfig.version,
          protocol: SIGNAL_PROTOCOL_VERSION,
          uptimeSeconds: Math.round((Date.now() - started) / 1000),
        });
      case "/stats":
        return Response.json(server.stats());
      case "/nodes":
        return Response.json(server.nodes());
    }
    if (!root) {
      return new Response(
        "flnet signalling server. Connect a node with WebSocket to this address; " +
          "GET /health, /stats and /nodes for status.\n",
        { status: path === "/" ? 200 : 404 },
      );
    }
    return await serveStatic(root, path);
  }

  const url = `ws://${
    addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname
  }:${addr.port}`;
  log.info(`listening on ${url}`);
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

/** File descriptors kept free of connections, for the listener, files and the runtime. */
const FD_RESERVE = 64;

/** The soft limit on open files of this process (Linux), or undefined where unknown. */
async function openFileLimit(): Promise<number | undefined> {
  try {
    const limits = await Deno.readTextFile("/proc/self/limits");
    const soft = limits.match(/^Max open files\s+(\d+)/m)?.[1];
    return soft === undefined ? undefined : Number(soft);
  } catch {
    return undefined;
  }
}

/** Serves a file from inside `root` only: no `..`, no encoded slashes, no symlinks out. */
async function serveStatic(root: string, path: string): Promise<Response> {
  const notFound = () => new Response("not found\n", { status: 404 });
  let segments: string[];
  try {
    segments = path.split("/").filter((s) => s.length > 0).map(decodeURIComponent);
  } catch {
    return notFound();
  }
  if (segments.some((s) => s === ".." || s === "." || /[\/\\\0]/.test(s))) return notFound();
  let file = [root, ...segments].join("/");
  try {
    if ((await Deno.stat(file)).isDirectory) file += "/index.html";
    const real = await Deno.realPath(file);
    if (real !== root && !real.startsWith(root + "/")) return notFound();
    const body = await Deno.readFile(real);
    const extension = real.slice(real.lastIndexOf(".") + 1).toLowerCase();
    return new Response(body, {
      headers: { "content-type": CONTENT_TYPES[extension] ?? "application/octet-stream" },
    });
  } catch {
    return notFound();
  }
}
