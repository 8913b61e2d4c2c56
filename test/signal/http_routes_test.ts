import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  exposureWarnings,
  httpResponse,
  NODES_CACHE_MS,
  NODES_PAGE,
  originRefusal,
  readAdminToken,
  staticSegments,
} from "../../signal/http_routes.ts";
import { parseSignalArgs } from "../../signal/args.ts";
import { SignalServer } from "../../signal/server.ts";

/** A server holding `count` nodes (what /nodes reads of it), and how often it was asked. */
function serverWith(count: number) {
  const asked = { times: 0, count };
  const server = {
    nodes: () => {
      asked.times++;
      return Array.from({ length: asked.count }, (_, i) => ({ n: i }));
    },
  } as unknown as SignalServer;
  return { server, asked };
}

describe("the HTTP routes", () => {
  it("list NODES_PAGE nodes a page at most, exactly that many, and the rest by offset", async () => {
    const { server } = serverWith(NODES_PAGE + 1);
    const context = { server, started: 0 };
    const first = await httpResponse({ method: "GET", target: "/nodes" }, context);
    assert.equal((await first.json()).length, NODES_PAGE);
    assert.equal(first.headers.get("x-total-count"), String(NODES_PAGE + 1));
    const next = await httpResponse(
      { method: "GET", target: `/nodes?offset=${NODES_PAGE}` },
      context,
    );
    assert.deepEqual(await next.json(), [{ n: NODES_PAGE }]);
    for (const offset of ["-1", "1.5", "x"]) {
      const bad = await httpResponse({ method: "GET", target: `/nodes?offset=${offset}` }, context);
      assert.equal(bad.status, 400, offset);
    }
  });

  it("answer /nodes from one list for NODES_CACHE_MS (simulated clock)", async () => {
    const { server, asked } = serverWith(3);
    const clock = { now: 1_000_000 };
    const context = { server, started: 0, now: () => clock.now };
    const count = async () =>
      (await (await httpResponse({ method: "GET", target: "/nodes" }, context)).json()).length;
    assert.equal(await count(), 3);
    asked.count = 4;
    clock.now += NODES_CACHE_MS - 1;
    assert.equal(await count(), 3, "1 ms before it ends: the same list");
    clock.now += 1;
    assert.equal(await count(), 4, "at NODES_CACHE_MS: listed again");
    assert.equal(asked.times, 2);
  });

  it("refuse dot files and dot directories under the static root", () => {
    for (const path of ["/.env", "/a/.git/config", "/%2Eenv", "/..", "/."]) {
      assert.equal(staticSegments(path), undefined, path);
    }
    assert.deepEqual(staticSegments("/a/b.c/d.js"), ["a", "b.c", "d.js"]);
  });

  it("allow any origin without a list, and with one only those listed or none", () => {
    assert.equal(originRefusal("https://x.example", undefined), undefined);
    const list = ["https://a.example"];
    assert.equal(originRefusal("https://a.example", list), undefined);
    assert.equal(originRefusal(undefined, list), undefined);
    assert.match(originRefusal("https://b.example", list)!, /not allowed here/);
  });

  it("warn of what is open only when the server listens beyond loopback", () => {
    const open = { headerTimeout: false };
    for (const host of ["127.0.0.1", "::1", "localhost"]) {
      assert.deepEqual(exposureWarnings(host, open), [], host);
    }
    const warnings = exposureWarnings("0.0.0.0", open);
    assert.equal(warnings.length, 3);
    assert.match(warnings.join("\n"), /--allow-origin[\s\S]*--admin-token-file[\s\S]*Deno/);
    const closed = { allowOrigins: ["https://a.example"], adminToken: "t", headerTimeout: true };
    assert.deepEqual(exposureWarnings("0.0.0.0", closed), []);
  });

  it("read an admin token of exactly 16 characters, and refuse one of 15", async () => {
    const read = (text: string) => () => Promise.resolve(text);
    assert.equal(await readAdminToken("f", read(" 0123456789abcdef\n")), "0123456789abcdef");
    await assert.rejects(readAdminToken("f", read("0123456789abcde")), /at least 16 characters/);
    await assert.rejects(
      readAdminToken("/nope", () => Promise.reject(new Error("no such file"))),
      /cannot read the admin token from \/nope: no such file/,
    );
    assert.equal(await readAdminToken(undefined, read("unused")), undefined);
  });

  it("take --allow-origin as a list of origins, and refuse one with a path", () => {
    const options = parseSignalArgs(["--allow-origin", "https://a.example, http://b.example:8080"]);
    assert.deepEqual(options.allowOrigins, ["https://a.example", "http://b.example:8080"]);
    assert.throws(() => parseSignalArgs(["--allow-origin", "https://a.example/app"]), /no path/);
    assert.throws(() => parseSignalArgs(["--allow-origin", ","]), /at least one origin/);
    assert.equal(parseSignalArgs(["--admin-token-file", "t"]).adminTokenFile, "t");
  });

  it("serve GET and HEAD only, /health to anyone, the rest behind the admin token", async () => {
    const server = new SignalServer();
    const context = { server, started: Date.now() - 5_000, adminToken: "0123456789abcdef" };
    const get = (target: string, authorization?: string, method = "GET") =>
      httpResponse({ method, target, authorization }, context);
    const post = await get("/health", undefined, "POST");
    assert.equal(post.status, 405);
    assert.equal(await post.text(), "only GET and HEAD are served\n");
    for (const method of ["GET", "HEAD"]) {
      assert.equal((await get("/health", undefined, method)).status, 200);
    }
    const health = await (await get("/health")).json();
    assert.deepEqual([health.status, health.server, health.uptimeSeconds], [
      "ok",
      "flnet-signal",
      5,
    ]);
    for (const path of ["/stats", "/nodes", "/metrics"]) {
      const refused = await get(path);
      assert.equal(refused.status, 401, path);
      assert.equal(refused.headers.get("www-authenticate"), "Bearer");
      assert.equal(
        await refused.text(),
        `${path} needs the header Authorization: Bearer <admin token>\n`,
      );
      assert.equal((await get(path, "Bearer 0123456789abcdeX")).status, 401, `${path}, one off`);
      assert.equal((await get(path, "Bearer 0123456789abcdef")).status, 200, path);
    }
    const stats = await (await get("/stats", "Bearer 0123456789abcdef")).json();
    assert.equal(stats.nodesOnline, 0);
    const metrics = await get("/metrics", "Bearer 0123456789abcdef");
    assert.match(metrics.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
    const open = { server, started: 0 };
    assert.equal((await httpResponse({ method: "GET", target: "/stats" }, open)).status, 200);
    await server.close();
  });

  it("answer / with a short text, and other paths with 404, when serving no files", async () => {
    const context = { server: serverWith(0).server, started: 0 };
    const root = await httpResponse({ method: "GET", target: "/" }, context);
    assert.equal(root.status, 200);
    assert.match(await root.text(), /^flnet signalling server\. Connect a node with WebSocket/);
    assert.equal((await httpResponse({ method: "GET", target: "/x" }, context)).status, 404);
  });

  it("serve static files with their content types, and nothing the segments refuse", async () => {
    const asked: string[][] = [];
    const files = {
      read: (segments: string[]) => {
        asked.push(segments);
        const file = `/root/${segments.join("/") || "index.html"}`;
        return Promise.resolve({ body: new TextEncoder().encode("x"), file });
      },
    };
    const context = { server: serverWith(0).server, started: 0, files };
    const type = async (target: string) =>
      (await httpResponse({ method: "GET", target }, context)).headers.get("content-type");
    const expected: Record<string, string> = {
      "/": "text/html; charset=utf-8",
      "/a.js": "text/javascript; charset=utf-8",
      "/a.mjs": "text/javascript; charset=utf-8",
      "/a.css": "text/css; charset=utf-8",
      "/a.json": "application/json",
      "/a.map": "application/json",
      "/a.svg": "image/svg+xml",
      "/a.PNG": "image/png",
      "/a.ico": "image/x-icon",
      "/a.txt": "text/plain; charset=utf-8",
      "/a.wasm": "application/wasm",
      "/a.bin": "application/octet-stream",
    };
    for (const [target, contentType] of Object.entries(expected)) {
      assert.equal(await type(target), contentType, target);
    }
    const before = asked.length;
    const hidden = await httpResponse({ method: "GET", target: "/.env" }, context);
    assert.equal(hidden.status, 404);
    assert.equal(await hidden.text(), "not found\n");
    assert.equal(asked.length, before, "a dot file is not even looked for");
  });
});
