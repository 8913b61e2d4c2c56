import { after, before, describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { NodeConfig } from "../../core/config.ts";
import { serveSignal } from "../../adapters/deno/serve_signal.ts";
import { startSignalProcess } from "../../harness/signal_process.ts";
import { RawClient } from "../../harness/raw_client.ts";
import denoConfig from "../../deno.json" with { type: "json" };
import packageJson from "../../package.json" with { type: "json" };

/** The server with `staticDir` on Deno in this process, or on Node (`flnet signal`). */
const RUNTIMES: Record<
  string,
  (staticDir: string) => Promise<{ url: string; close(): Promise<unknown> }>
> = {
  deno: (staticDir) => serveSignal({ port: 0, staticDir }),
  node: async (staticDir) => {
    const process = await startSignalProcess(["--static", staticDir], [], "node");
    return { url: process.url, close: () => process.stop() };
  },
};

for (const [runtime, start] of Object.entries(RUNTIMES)) {
  describe(`signalling server HTTP endpoints on ${runtime}`, () => {
    let running: { url: string; close(): Promise<unknown> };
    let http: string;
    let dir: string;

    before(async () => {
      dir = await Deno.makeTempDir();
      await Deno.mkdir(`${dir}/web/sub`, { recursive: true });
      await Deno.writeTextFile(`${dir}/web/index.html`, "<h1>demo</h1>");
      await Deno.writeTextFile(`${dir}/web/sub/app.js`, "export {}");
      await Deno.writeTextFile(`${dir}/secret.txt`, "outside");
      await Deno.symlink(`${dir}/secret.txt`, `${dir}/web/link.txt`);
      running = await start(`${dir}/web`);
      http = running.url.replace("ws:", "http:");
    });
    after(async () => {
      await running.close();
      await Deno.remove(dir, { recursive: true });
    });

    it("answers /health and /stats with JSON", async () => {
      const health = await (await fetch(`${http}/health`)).json();
      assert.equal(health.status, "ok");
      assert.equal(health.protocol, 1);
      assert.equal(health.version, denoConfig.version, "FLNET_VERSION is deno.json's version");
      assert.equal(health.version, packageJson.version, "and package.json's");
      const client = await RawClient.announced(running.url, await NodeConfig.create());
      client.send("garbage");
      await client.closed;
      const stats = await (await fetch(`${http}/stats`)).json();
      assert.equal(stats.errorsByCode["bad-json"], 1);
      assert.equal(typeof stats.uptimeSeconds, "number");
      assert.equal(stats.nodesOnline, 0);
      assert.ok(stats.bytesReceived > 200, `received ${stats.bytesReceived} (announce + garbage)`);
      assert.ok(stats.bytesSent > 200, `sent ${stats.bytesSent} (challenge, welcome, error)`);
    });

    it("answers /metrics in Prometheus's text format", async () => {
      const client = await RawClient.announced(running.url, await NodeConfig.create());
      const response = await fetch(`${http}/metrics`);
      assert.match(response.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
      const text = await response.text();
      assert.match(
        text,
        /^# HELP flnet_signal_nodes .+\n# TYPE flnet_signal_nodes gauge\nflnet_signal_nodes 1$/m,
      );
      assert.match(
        text,
        /^flnet_signal_errors_total\{code="bad-json"\} 1$/m,
        "the error of the test before",
      );
      for (const line of text.trimEnd().split("\n")) {
        assert.match(
          line,
          /^(# (HELP|TYPE) flnet_\w+ .+|flnet_\w+(\{code="[\w-]+"\})? \d+)$/,
          line,
        );
      }
      await client.close();
    });

    it("serves static files from its directory with content types", async () => {
      const index = await fetch(`${http}/`);
      assert.equal(index.headers.get("content-type"), "text/html; charset=utf-8");
      assert.equal(await index.text(), "<h1>demo</h1>");
      const script = await fetch(`${http}/sub/app.js`);
      assert.equal(script.headers.get("content-type"), "text/javascript; charset=utf-8");
      assert.equal(await script.text(), "export {}");
    });

    it("serves nothing outside its directory", async () => {
      for (
        const path of [
          "/../secret.txt",
          "/%2e%2e/secret.txt",
          "/sub%2F..%2F..%2Fsecret.txt",
          "/link.txt",
          "/%00",
          "/missing",
        ]
      ) {
        const response = await fetch(`${http}${path}`);
        assert.equal(response.status, 404, path);
        assert.equal(await response.text(), "not found\n");
      }
    });

    it("refuses methods other than GET and HEAD", async () => {
      const response = await fetch(`${http}/stats`, { method: "POST", body: "x" });
      assert.equal(response.status, 405);
      await response.body?.cancel();
    });
  });
}

/** The status line's code of a WebSocket upgrade sent to `http` with `origin` (none: no header). */
async function upgradeStatus(http: string, origin?: string): Promise<number> {
  const { hostname, port } = new URL(http);
  const connection = await Deno.connect({ hostname, port: Number(port) });
  try {
    const request = [
      "GET / HTTP/1.1",
      `Host: ${hostname}:${port}`,
      "Upgrade: websocket",
      "Connection: Upgrade",
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
      "Sec-WebSocket-Version: 13",
      ...(origin ? [`Origin: ${origin}`] : []),
      "",
      "",
    ].join("\r\n");
    await connection.write(new TextEncoder().encode(request));
    const buffer = new Uint8Array(256);
    const read = await connection.read(buffer);
    const line = new TextDecoder().decode(buffer.subarray(0, read ?? 0)).split("\r\n")[0];
    return Number(line.split(" ")[1]);
  } finally {
    connection.close();
  }
}

/** The server with `--allow-origin` and `--admin-token-file` on `runtime`. */
async function guarded(runtime: string, dir: string, tokenFile: string) {
  await Deno.writeTextFile(`${dir}/.env`, "SECRET=1");
  await Deno.mkdir(`${dir}/.git`, { recursive: true });
  await Deno.writeTextFile(`${dir}/.git/config`, "[core]");
  await Deno.writeTextFile(`${dir}/index.html`, "<h1>demo</h1>");
  if (runtime === "deno") {
    return await serveSignal({
      port: 0,
      staticDir: dir,
      allowOrigins: ["https://app.example.org"],
      adminTokenFile: tokenFile,
    });
  }
  const process = await startSignalProcess(
    [
      ...["--static", dir, "--allow-origin", "https://app.example.org"],
      ...["--admin-token-file", tokenFile],
    ],
    [],
    "node",
  );
  return { url: process.url, close: () => process.stop() };
}

for (const runtime of ["deno", "node"]) {
  describe(`a signalling server guarded by origin and token on ${runtime}`, () => {
    let running: { url: string; close(): Promise<unknown> };
    let http: string;
    let dir: string;
    const token = "s3cret-admin-token-0123456789";

    before(async () => {
      dir = await Deno.makeTempDir();
      await Deno.mkdir(`${dir}/web`);
      await Deno.writeTextFile(`${dir}/token`, `${token}\n`);
      running = await guarded(runtime, `${dir}/web`, `${dir}/token`);
      http = running.url.replace("ws:", "http:");
    });
    after(async () => {
      await running.close();
      await Deno.remove(dir, { recursive: true });
    });

    it("takes WebSockets only from the allowed origin, or from clients naming none", async () => {
      assert.equal(await upgradeStatus(http, "https://app.example.org"), 101);
      assert.equal(await upgradeStatus(http), 101, "not a browser page");
      assert.equal(await upgradeStatus(http, "https://evil.example.org"), 403);
      assert.equal(await upgradeStatus(http, "https://app.example.org:444"), 403);
    });

    it("asks for the admin token at /stats, /nodes and /metrics, not at /health", async () => {
      for (const path of ["/stats", "/nodes", "/metrics"]) {
        const bare = await fetch(`${http}${path}`);
        assert.equal(bare.status, 401, path);
        assert.match(await bare.text(), /Authorization: Bearer/);
        const wrong = await fetch(`${http}${path}`, {
          headers: { authorization: `Bearer ${token.slice(0, -1)}x` },
        });
        assert.equal(wrong.status, 401, `${path}, one character off`);
        await wrong.body?.cancel();
        const right = await fetch(`${http}${path}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        assert.equal(right.status, 200, path);
        await right.body?.cancel();
      }
      const health = await fetch(`${http}/health`);
      assert.equal(health.status, 200);
      await health.body?.cancel();
    });

    it("serves no dot file or dot directory", async () => {
      for (const path of ["/.env", "/.git/config", "/%2eenv", "/.git/"]) {
        const response = await fetch(`${http}${path}`);
        assert.equal(response.status, 404, path);
        await response.body?.cancel();
      }
      assert.equal(await (await fetch(`${http}/`)).text(), "<h1>demo</h1>");
    });
  });
}
