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
}

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

/** The answer to a `method` request for `path` (the URL's path, still percent-encoded). */
export async function httpResponse(
  method: string,
  path: string,
  context: HttpContext,
): Promise<Response> {
  if (method !== "GET" && method !== "HEAD") {
    return new Response("only GET and HEAD are served\n", { status: 405 });
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
    case "/nodes":
      return Response.json(context.server.nodes());
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

/** The path's segments when it is safe under a root: no `..`, `.`, encoded slashes or NULs. */
export function staticSegments(path: string): string[] | undefined {
  let segments: string[];
  try {
    segments = path.split("/").filter((s) => s.length > 0).map(decodeURIComponent);
  } catch {
    return undefined;
  }
  return segments.some((s) => s === ".." || s === "." || /[\/\\\0]/.test(s)) ? undefined : segments;
}
