import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { webRuntime } from "../../adapters/web/runtime.ts";
import type { RTCPeerConnectionConstructor } from "../../net/peer_setup.ts";

describe("webRuntime", () => {
  const FakeRTC = class {} as unknown as RTCPeerConnectionConstructor;

  it("takes the global WebSocket, or the one given", () => {
    const global = globalThis as { WebSocket?: unknown };
    const saved = global.WebSocket; // Node 20 has none
    const GlobalWebSocket = class {} as never;
    const WebSocketGiven = class {} as never;
    global.WebSocket = GlobalWebSocket;
    try {
      assert.equal(webRuntime({ RTCPeerConnection: FakeRTC }).WebSocket, GlobalWebSocket);
      assert.equal(
        webRuntime({ RTCPeerConnection: FakeRTC, WebSocket: WebSocketGiven }).WebSocket,
        WebSocketGiven,
      );
    } finally {
      if (saved === undefined) delete global.WebSocket;
      else global.WebSocket = saved;
    }
  });

  it("says what to do when the runtime has no WebSocket or no RTCPeerConnection", () => {
    const global = globalThis as { WebSocket?: unknown };
    const saved = global.WebSocket;
    delete global.WebSocket;
    try {
      assert.throws(
        () => webRuntime({ RTCPeerConnection: FakeRTC }),
        /no WebSocket in this runtime: on Node 20 import flnet\/node/,
      );
    } finally {
      if (saved !== undefined) global.WebSocket = saved;
    }
    assert.throws(() => webRuntime(), /no RTCPeerConnection in this runtime/);
  });
});
