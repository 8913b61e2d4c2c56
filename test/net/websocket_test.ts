import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { seededRandom } from "../../core/random.ts";
import { startWebSocket, type WebSocketOut } from "../../net/websocket.ts";
import { nextOf } from "../support/channels.ts";

/** A loopback WebSocket echo server that can refuse connections for a while. */
function echoServer() {
  let accepting = false;
  const server = Deno.serve({ port: 0, onListen: () => {} }, (request) => {
    if (!accepting) return new Response("not now", { status: 503 });
    const { socket, response } = Deno.upgradeWebSocket(request);
    socket.onmessage = (event) => socket.send(`echo ${event.data}`);
    return response;
  });
  return {
    url: `ws://127.0.0.1:${server.addr.port}`,
    accept: (yes: boolean) => accepting = yes,
    close: () => server.shutdown(),
  };
}

function record(broker: ReturnType<typeof startWebSocket>) {
  const outs: WebSocketOut[] = [];
  const channel = broker.channelOut();
  broker.tapOut((out) => void outs.push(out));
  const next = (type: WebSocketOut["type"]) => nextOf(channel, type);
  return { outs, next };
}

describe("WebSocket broker", () => {
  it("backs off exponentially with jitter, then delivers the queue in order", async () => {
    const server = echoServer();
    const ws = startWebSocket(server.url, WebSocket, {
      backoffInitialMs: 20,
      backoffMaxMs: 100,
      backoffJitter: 0.5,
      rng: seededRandom(1),
    });
    const { outs, next } = record(ws);
    try {
      for (const n of [1, 2, 3]) await ws.emitIn({ type: "send", data: `m${n}` });
      for (let i = 0; i < 5; i++) await next("disconnected");
      const delays = outs.flatMap((o) => o.type === "disconnected" ? [o.reconnectInMs!] : []);
      const bases = [20, 40, 80, 100, 100];
      delays.slice(0, 5).forEach((delay, i) => {
        assert.ok(delay >= bases[i] / 2 && delay <= bases[i], `delay ${i} = ${delay}`);
      });
      server.accept(true);
      await next("connected");
      const echoes = [await next("message"), await next("message"), await next("message")];
      assert.deepEqual(echoes.map((o) => o.type === "message" && o.data), [
        "echo m1",
        "echo m2",
        "echo m3",
      ]);
      assert.ok(!outs.some((o) => o.type === "send-failed"));
    } finally {
      await ws.emitIn({ type: "close" });
      await server.close();
    }
  });

  it("never waits more than 4 s between attempts by default, however long the outage", async () => {
    const server = echoServer();
    const ws = startWebSocket(server.url, WebSocket, { backoffInitialMs: 1, rng: () => 0 });
    const { outs, next } = record(ws);
    try {
      for (let i = 0; i < 14; i++) await next("disconnected");
      const delays = outs.flatMap((o) => o.type === "disconnected" ? [o.reconnectInMs!] : []);
      assert.deepEqual(delays.slice(0, 14), [
        1,
        2,
        4,
        8,
        16,
        32,
        64,
        128,
        256,
        512,
        1024,
        2048,
        4000,
        4000,
      ]);
    } finally {
      await ws.emitIn({ type: "close" });
      await server.close();
    }
  });

  it("reports what overflows the queue, and immediate sends while down", async () => {
    const server = echoServer();
    const ws = startWebSocket(server.url, WebSocket, { queueMaxMessages: 2, backoffInitialMs: 10 });
    const { outs } = record(ws);
    try {
      for (const n of [1, 2, 3]) await ws.emitIn({ type: "send", data: `m${n}` });
      await ws.emitIn({ type: "send", data: "hello", immediate: true });
      const failed = outs.flatMap((o) =>
        o.type === "send-failed" ? [`${o.data}: ${o.reason}`] : []
      );
      assert.deepEqual(failed, [
        "m3: the send queue is full (2 messages) while disconnected",
        "hello: not connected",
      ]);
    } finally {
      await ws.emitIn({ type: "close" });
      await server.close();
    }
    const afterClose = outs.flatMap((o) => o.type === "send-failed" ? [o.data] : []);
    assert.deepEqual(afterClose.slice(2), ["m1", "m2"], "queued messages fail on close");
    assert.equal(outs.at(-1)?.type, "closed");
    await ws.emitIn({ type: "send", data: "late" });
    assert.deepEqual(outs.at(-1), {
      type: "send-failed",
      data: "late",
      reason: "the WebSocket is closed",
    });
  });
});
