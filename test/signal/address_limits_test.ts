/**
 * One address cannot take every slot: the per-address limit on both runtimes, counted by the
 * proxy's `X-Forwarded-For` with `--trust-proxy`; on Node, half-open HTTP connections time out
 * and one address's sockets are capped before they cost more than a descriptor.
 * @module
 */

import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { WebSocket as NodeWebSocket } from "ws";
import { NodeConfig } from "../../core/config.ts";
import { type ServerMessage, SIGNAL_ERRORS } from "../../net/signal_protocol.ts";
import { addressKey, clientAddress } from "../../signal/client_address.ts";
import { startSignalProcess } from "../../harness/signal_process.ts";
import { RawClient } from "../../harness/raw_client.ts";
import { until } from "../../harness/network.ts";

/** The first message a `ws` client gets, connecting from `localAddress` with `headers`. */
function firstMessage(
  url: string,
  options: { localAddress?: string; headers?: Record<string, string> } = {},
): Promise<{ message: ServerMessage; socket: NodeWebSocket }> {
  const socket = new NodeWebSocket(url, options);
  return new Promise((resolve, reject) => {
    socket.once("message", (data) => resolve({ message: JSON.parse(String(data)), socket }));
    socket.once("error", reject);
  });
}

function expectCode(message: ServerMessage, code: string): void {
  assert.equal(message.type === "error" && message.code, code, JSON.stringify(message));
}

describe("address keys", () => {
  it("counts IPv4 as it is, IPv6 by its /64, and trusts only the proxy's own entry", () => {
    assert.equal(addressKey("192.0.2.7"), "192.0.2.7");
    assert.equal(addressKey("::ffff:192.0.2.7"), "192.0.2.7");
    assert.equal(addressKey("2001:db8:0:1:aaaa::1"), "2001:db8:0:1::/64");
    assert.equal(addressKey("[2001:0db8::1]"), "2001:db8:0:0::/64");
    assert.equal(addressKey("fe80::1%eth0"), "fe80:0:0:0::/64");
    assert.equal(addressKey("::1"), "0:0:0:0::/64");
    assert.equal(clientAddress("10.0.0.1", "1.1.1.1, 203.0.113.9", true), "203.0.113.9");
    assert.equal(clientAddress("10.0.0.1", "203.0.113.9", false), "10.0.0.1");
    assert.equal(clientAddress("10.0.0.1", undefined, true), "10.0.0.1");
  });
});

for (const runtime of ["deno", "node"] as const) {
  describe(`per-address limits on ${runtime}`, { timeout: 30_000 }, () => {
    it("refuses a third connection from one address, not from another", async () => {
      const server = await startSignalProcess(["--max-conns-per-ip", "2"], [], runtime);
      try {
        const one = await RawClient.announced(server.url, await NodeConfig.create());
        const two = await RawClient.open(server.url);
        const refused = await firstMessage(server.url);
        expectCode(refused.message, "too-many-from-address");
        assert.match(
          (refused.message as { message: string }).message,
          /127\.0\.0\.1 holds its maximum of 2 connections.*--trust-proxy/,
        );
        const closed = await new Promise<number>((resolve) =>
          refused.socket.once("close", resolve)
        );
        assert.equal(closed, SIGNAL_ERRORS["too-many-from-address"].closeCode);
        // another address is welcome; a slot freed is a slot again
        const other = await firstMessage(server.url, { localAddress: "127.0.0.2" });
        assert.equal(other.message.type, "challenge");
        other.socket.close();
        await two.close();
        await until("the slot is free", async () => {
          const again = await firstMessage(server.url);
          again.socket.close();
          return again.message.type === "challenge";
        }, 3_000);
        await one.close();
      } finally {
        await server.stop();
      }
    });

    it("counts the proxy's X-Forwarded-For entry with --trust-proxy", async () => {
      const server = await startSignalProcess(
        ["--max-conns-per-ip", "1", "--trust-proxy"],
        [],
        runtime,
      );
      try {
        const forwarded = (address: string) => ({
          headers: { "x-forwarded-for": `6.6.6.6, ${address}` },
        });
        const a = await firstMessage(server.url, forwarded("198.51.100.1"));
        const b = await firstMessage(server.url, forwarded("198.51.100.2"));
        assert.deepEqual([a.message.type, b.message.type], ["challenge", "challenge"]);
        const again = await firstMessage(server.url, forwarded("198.51.100.1"));
        expectCode(again.message, "too-many-from-address");
        assert.match((again.message as { message: string }).message, /198\.51\.100\.1 holds/);
        for (const { socket } of [a, b, again]) socket.close();
      } finally {
        await server.stop();
      }
    });
  });
}

describe("half-open HTTP on Node", { timeout: 30_000 }, () => {
  it("times out unfinished headers and caps one address's sockets; others get in", async () => {
    const server = await startSignalProcess(
      ["--max-conns-per-ip", "2", "--header-timeout", "1"],
      [],
      "node",
    );
    const port = Number(new URL(server.url).port);
    const flood: Socket[] = [];
    const closed = new Set<Socket>();
    try {
      for (let i = 0; i < 40; i++) {
        const socket = connect({ host: "127.0.0.1", port });
        socket.on("error", () => {});
        socket.resume(); // read the server's 408, so that its close comes through
        socket.on("close", () => closed.add(socket));
        socket.on("connect", () => socket.write("GET /health HTTP/1.1\r\nHost: x\r\n"));
        flood.push(socket);
      }
      // over 2 × 2 + 16 sockets from one address are cut at once
      await until("the sockets over the cap are closed", () => closed.size >= 20, 3_000);
      // an honest client from another address gets in during the flood
      const other = await firstMessage(server.url, { localAddress: "127.0.0.2" });
      assert.equal(other.message.type, "challenge");
      other.socket.close();
      // the ones under the cap never finished their headers: closed after about a second
      await until("every unfinished request is closed", () => closed.size === 40, 5_000);
    } finally {
      for (const socket of flood) socket.destroy();
      await server.stop();
    }
  });
});
