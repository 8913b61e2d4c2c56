/**
 * The signalling server's HTTP side, the same on every runtime: `GET /health`, `/stats`,
 * `/nodes`, `/metrics` (Prometheus), a short text at `/`, and static files (the demo) when a directory is given. Each
 * runtime's adapter turns its requests into a method and a path and reads files through
 * {@link StaticFiles}; this module picks the answer as a Web `Response`.
 * @module
 */

import { SIGNAL_PROTOCOL_VERSION } from "../net/signal_protocol.ts";
import type { SignalServer } from "./server.ts";
import { FLNET_VERSION } from "../core/version.ts";
import { metricsText } from "./metrics.ts";

/** Reading files under the static root, as a runtime does it. */
export interface StaticFiles {
  /**
   * The file at `segments` under the root (`index.html` for a directory): its bytes and its
   * real path; undefined when there is none or it resolves outside the root (a link out).
   */
  read(segments: string[]): Promise<{ body: Uint8Array; file: string } | undefined>;
}

/** What the routes need to answer. */
export interface HttpContext {
  /** The protocol logic, for stats and nodes. */
  server: SignalServer;
  /** When the server started (ms since 1970), for the uptime. */
  started: number;
  /** Static files, when the server serves a directory. */
  files?: StaticFiles;
  /**
   * When set, `/stats`, `/nodes` and `/metrics` answer only requests with the header
   * `Authorization: Bearer <adminToken>` (else 401).
   */
  adminToken?: string;
  /** The clock of the `/nodes` cache, ms (default `Date.now`). */
  now?: () => number;
}

/** An HTTP request as the routes see it. */
export interface HttpRequest {
  /** `GET`, `HEAD`, … */
  method: string;
  /** The path and query, as sent (still percent-encoded), e.g. `/nodes?offset=1000`. */
  target: string;
  /** The `Authorization` header, if any. */
  authorization?: string;
}

/** The most nodes one `GET /nodes` lists; `?offset=N` gives the next ones. */
export const NODES_PAGE = 1000;
/** How long `GET /nodes` answers from the same list (ms): asking often costs one list a second. */
export const NODES_CACHE_MS = 1_000;

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

/** The answer to `request`. */
export async function httpResponse(request: HttpRequest, context: HttpContext): Promise<Response> {
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response("only GET and HEAD are served\n", { status: 405 });
  }
  const url = new URL(request.target, "http://server");
  const path = request.target.split("?")[0];
  const admin = ["/stats", "/nodes", "/metrics"].includes(path);
  if (admin && context.adminToken !== undefined && !authorized(request, context.adminToken)) {
    return new Response(`${path} needs the header Authorization: Bearer <admin token>\n`, {
      status: 401,
      headers: { "www-authenticate": "Bearer" },
    });
  }
  switch (path) {
    case "/health":
      return Response.json({
        status: "ok",
        server: "flnet-signal",
        version: FLNET_VERSION,
        protocol: SIGNAL_PROTOCOL_VERSION,
        uptimeSeconds: Math.round((Date.now() - context.started) / 1000),
      });
    case "/stats":
      return Response.json(context.server.stats());
    case "/nodes": {
      const offset = Number(url.searchParams.get("offset") ?? 0);
      if (!Number.isSafeInteger(offset) || offset < 0) {
        return new Response("offset must be a whole number of 0 or more\n", { status: 400 });
      }
      const nodes = cachedNodes(context.server, (context.now ?? Date.now)());
      return Response.json(nodes.slice(offset, offset + NODES_PAGE), {
        headers: { "x-total-count": String(nodes.length) },
      });
    }
    case "/metrics":
      return new Response(metricsText(context.server.stats()), {
        headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
      });
  }
  if (!context.files) {
    return new Response(
      "flnet signalling server. Connect a node with WebSocket to this address; " +
        "GET /health, /stats, /nodes and /metrics for status.\n",
      { status: path === "/" ? 200 : 404 },
    );
  }
  const notFound = new Response("not found\n", { status: 404 });
  const segments = staticSegments(path);
  if (!segments) return notFound;
  const found = await context.files.read(segments);
  if (!found) return notFound;
  const extension = found.file.slice(found.file.lastIndexOf(".") + 1);
  return new Response(found.body as Uint8Array<ArrayBuffer>, {
    headers: {
      "content-type": CONTENT_TYPES[extension.toLowerCase()] ?? "application/octet-stream",
    },
  });
}

/**
 * The path's segments when it is safe under a root: no `..`, `.`, dot files or directories
 * (`.env`, `.git/`), encoded slashes or NULs.
 */
export function staticSegments(path: string): string[] | undefined {
  let segments: string[];
  try {
    segments = path.split("/").filter((s) => s.length > 0).map(decodeURIComponent);
  } catch {
    return undefined;
  }
  return segments.some((s) => s.startsWith(".") || /[\/\\\0]/.test(s)) ? undefined : segments;
}

/**
 * Why a WebSocket upgrade from a page of `origin` is refused, or undefined when it is allowed:
 * any origin when `allowOrigins` is not given; else only those listed, or a client that names
 * none (not a browser page: a program can send any Origin anyway).
 */
export function originRefusal(
  origin: string | null | undefined,
  allowOrigins: readonly string[] | undefined,
): string | undefined {
  if (!allowOrigins || !origin || allowOrigins.includes(origin)) return undefined;
  return `WebSocket connections from pages of ${origin.slice(0, 200)} are not allowed here ` +
    "(--allow-origin)";
}

/**
 * What an operator should hear at start about a server listening on `host`: the settings that
 * matter once it serves other machines, unset (`headerTimeout`: whether the runtime closes
 * connections whose headers never finish; Deno's does not).
 */
export function exposureWarnings(
  host: string,
  settings: { allowOrigins?: string[]; adminToken?: string; headerTimeout: boolean },
): string[] {
  if (/^(127\.|::1$|localhost$)/.test(host)) return [];
  const warnings: string[] = [];
  if (!settings.allowOrigins) {
    warnings.push(
      `listening on ${host} without --allow-origin: scripts of any web page may connect their ` +
        "visitors here",
    );
  }
  if (settings.adminToken === undefined) {
    warnings.push(
      `listening on ${host} without --admin-token-file: /stats, /nodes and /metrics are open`,
    );
  }
  if (!settings.headerTimeout) {
    warnings.push(
      `listening on ${host} on Deno, whose HTTP server has no header timeout (slow clients can ` +
        "hold connections open): run `npx flnet signal` (Node) where the server is exposed",
    );
  }
  return warnings;
}

/** Reads the admin token of `--admin-token-file` (trimmed); a file that holds none is an error. */
export async function readAdminToken(
  file: string | undefined,
  readText: (path: string) => Promise<string>,
): Promise<string | undefined> {
  if (file === undefined) return undefined;
  const token = (await readText(file).catch((error) => {
    throw new Error(`cannot read the admin token from ${file}: ${error.message}`);
  })).trim();
  if (token.length < 16) {
    throw new Error(`the admin token in ${file} must have at least 16 characters`);
  }
  return token;
}

/** Whether `request` carries the admin token. */
function authorized(request: HttpRequest, token: string): boolean {
  const given = request.authorization ?? "";
  const expected = `Bearer ${token}`;
  // compared in full whatever differs first, so the time taken tells nothing of the token
  let differs = given.length !== expected.length ? 1 : 0;
  for (let i = 0; i < expected.length; i++) {
    differs |= (given.charCodeAt(i) || 0) ^ expected.charCodeAt(i);
  }
  return differs === 0;
}

/** The server's nodes, listed at most once per {@link NODES_CACHE_MS}. */
function cachedNodes(server: SignalServer, now: number): ReturnType<SignalServer["nodes"]> {
  const cached = nodesCache.get(server);
  if (cached && now - cached.at < NODES_CACHE_MS) return cached.nodes;
  const nodes = server.nodes();
  nodesCache.set(server, { at: now, nodes });
  return nodes;
}

const nodesCache = new WeakMap<
  SignalServer,
  { at: number; nodes: ReturnType<SignalServer["nodes"]> }
>();
