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
import type { SignalServer } from "../../signal/server.ts";

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
});
