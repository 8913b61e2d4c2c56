/**
 * The data path's promises on real engines, watched at the data channel itself (the engine's
 * RTCPeerConnection subclassed to see each channel and what is handed to it): backpressure (the
 * channel never buffers more than 1 MiB and a frame), a message that stops arriving midway
 * (reported after `incompleteTimeoutMs`, and when its connection ends), and the setup retry (an
 * attempt that fails while a message waits is made again with a fresh session).
 * @module
 */

import { after, before, describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { loadWebRTCEngine } from "../../adapters/node/webrtc.ts";
import type { RTCPeerConnectionConstructor } from "../../net/peer_setup.ts";
import { MAX_FRAME_BYTES } from "../../net/framing.ts";
import { type RunningSignalServer, serveSignal } from "../../adapters/deno/serve_signal.ts";
import { ENGINES, loopbackNode, until, within } from "../../harness/network.ts";
import { encodeMessage } from "../../net/framing.ts";
import { BEAT_MODULE } from "../../net/control.ts";
import { WASTE_BURST } from "../../net/data_path.ts";
import type { WebRTCEngine } from "../../node.ts";

/** A heartbeat's size on the wire; larger frames carry (part of) a message. */
const HEARTBEAT_BYTES = 20;
/** The data channel's buffer above which the sender waits (net/data_path.ts). */
const BUFFER_HIGH_BYTES = 1024 * 1024;

/** What a watched engine saw of its connections. */
interface Watched {
  /** The engine, for a node's options. */
  RTCPeerConnection: RTCPeerConnectionConstructor;
  /** The peer connections made, in order. */
  connections: RTCPeerConnection[];
  /** The data channels they made, in order (as the offerer). */
  channels: RTCDataChannel[];
  /** The most bytes a channel buffered right after a send. */
  maxBuffered: number;
  /** Frames other than heartbeats handed to a channel. */
  dataSent: number;
  /** Frames other than heartbeats received. */
  dataReceived: number;
  /**
   * When set, once this many frames other than heartbeats were sent, the rest are dropped
   * instead (`"data"`: heartbeats still go; `"all"`: nothing more goes).
   */
  dropAfter?: { count: number; what: "data" | "all" };
}

/** The engine `engine`, subclassed so a test sees its channels and what goes through them. */
async function watchedEngine(engine: WebRTCEngine): Promise<Watched> {
  const Base = await loadWebRTCEngine(engine) as unknown as new (
    config?: RTCConfiguration,
  ) => RTCPeerConnection;
  const watched: Watched = {
    RTCPeerConnection: undefined as unknown as RTCPeerConnectionConstructor,
    connections: [],
    channels: [],
    maxBuffered: 0,
    dataSent: 0,
    dataReceived: 0,
  };
  class Watching extends Base {
    constructor(config?: RTCConfiguration) {
      super(config);
      watched.connections.push(this);
    }
    override createDataChannel(label: string, init?: RTCDataChannelInit): RTCDataChannel {
      const dc = super.createDataChannel(label, init);
      watched.channels.push(dc);
      const send = dc.send.bind(dc) as (data: Uint8Array) => void;
      (dc as { send: (data: Uint8Array) => void }).send = (data: Uint8Array) => {
        const isData = data.byteLength > HEARTBEAT_BYTES;
        const drop = watched.dropAfter;
        if (drop && watched.dataSent >= drop.count && (isData || drop.what === "all")) {
          return; // lost on the way
        }
        send(data);
        if (isData) watched.dataSent++;
        watched.maxBuffered = Math.max(watched.maxBuffered, dc.bufferedAmount);
      };
      dc.addEventListener("message", (event) => {
        const data = (event as MessageEvent).data;
        if ((data?.byteLength ?? 0) > HEARTBEAT_BYTES) watched.dataReceived++;
      });
      return dc;
    }
  }
  watched.RTCPeerConnection = Watching as unknown as RTCPeerConnectionConstructor;
  return watched;
}

/** The next `error` output of `code` a node's network reports. */
function nextError(
  node: Awaited<ReturnType<typeof loopbackNode>>,
  code: string,
): Promise<string> {
  return new Promise((resolve) => {
    const tap = node.broker.tapOut((out) => {
      if (out.type === "error" && out.code === code) {
        tap.remove();
        resolve(out.message);
      }
    });
  });
}

for (const engine of ENGINES) {
  describe(`the data path on real engines (${engine})`, { timeout: 60_000 }, () => {
    let server: RunningSignalServer;
    before(async () => server = await serveSignal({ port: 0 }));
    after(() => server.close());

    it("waits while the channel buffers 1 MiB: it never holds more than that and a frame", async () => {
      const sender = await watchedEngine(engine);
      const a = await loopbackNode(server.url, engine, "a", {
        RTCPeerConnection: sender.RTCPeerConnection,
      });
      const b = await loopbackNode(server.url, engine, "b");
      try {
        const count = 24;
        const message = (i: number) => new Uint8Array(1024 * 1024).fill(i);
        // 24 MiB handed to send at once: without backpressure all of it would sit in the buffer
        const sent = Promise.all(Array.from({ length: count }, (_, i) => a.send(b.id, message(i))));
        for (let i = 0; i < count; i++) {
          const { data } = await b.recv();
          assert.ok(data instanceof Uint8Array && data.length === 1024 * 1024, `message ${i}`);
          assert.equal(data[0], i, "in order");
          assert.equal(data[data.length - 1], i);
        }
        await sent;
        assert.ok(
          sender.maxBuffered <= BUFFER_HIGH_BYTES + MAX_FRAME_BYTES,
          `the channel buffered ${sender.maxBuffered} bytes at most`,
        );
        assert.ok(
          sender.maxBuffered > BUFFER_HIGH_BYTES / 4,
          `the buffer was used (${sender.maxBuffered} bytes): the sender waited on it`,
        );
      } finally {
        await a.close();
        await b.close();
      }
    });

    /** Nodes a (watched, sending) and b (receiving), connected, with `b`'s options. */
    const pair = async (bOptions: Parameters<typeof loopbackNode>[3] = {}) => {
      const sender = await watchedEngine(engine);
      const receiver = await watchedEngine(engine);
      // no overlay signalling: its neighbour lists would be frames among the dropped ones
      const a = await loopbackNode(server.url, engine, "a", {
        RTCPeerConnection: sender.RTCPeerConnection,
        overlaySignalling: false,
      });
      const b = await loopbackNode(server.url, engine, "b", {
        RTCPeerConnection: receiver.RTCPeerConnection,
        ...bOptions,
      });
      await a.send(b.id, "hello");
      assert.equal((await b.recv()).data, "hello");
      return { a, b, sender, receiver };
    };

    it("drops a peer flooding heartbeats at full speed; an honest one goes on", async () => {
      const { a, b, sender } = await pair();
      const c = await loopbackNode(server.url, engine, "c");
      try {
        const dropped = new Promise<string>((resolve) =>
          b.onPeer((e) => e.type === "disconnected" && e.id === a.id && resolve(e.reason))
        );
        let over = false;
        void dropped.then(() => over = true);
        const dc = sender.channels.at(-1)!;
        const beat = [...encodeMessage(0, { module: BEAT_MODULE, data: new Uint8Array(0) })][0];
        let frames = 0;
        const ends = Date.now() + 20_000;
        while (!over && dc.readyState === "open" && Date.now() < ends) {
          if (dc.bufferedAmount < 64 * 1024) (dc.send as (d: Uint8Array) => void)(beat), frames++;
          if (frames % 64 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
        }
        assert.match(await within(dropped, 5_000, () => "not dropped"), /frames of no use/);
        assert.ok(frames >= 2 * WASTE_BURST, `dropped after ${frames} frames, not before`);
        await c.send(b.id, "still here");
        assert.deepEqual(await b.recv(), { from: c.id, module: "", data: "still here" });
      } finally {
        await a.close();
        await b.close();
        await c.close();
      }
    });

    it("reports a message that stops midway when the next frame comes, and goes on", async () => {
      const { a, b, sender } = await pair();
      try {
        const reported = nextError(b, "bad-frame");
        // two chunks of the next message, then none; the heartbeats still go
        sender.dropAfter = { count: sender.dataSent + 2, what: "data" };
        await a.send(b.id, new Uint8Array(200_000));
        assert.match(
          await reported,
          /message \d+ stopped after 2 of \d+ chunks when message \d+ began/,
        );
        sender.dropAfter = undefined;
        await a.send(b.id, "after");
        assert.equal((await b.recv()).data, "after", "the connection carries on");
      } finally {
        await a.close();
        await b.close();
      }
    });

    it("reports a message after incompleteTimeoutMs when nothing more comes", async () => {
      const { a, b, sender } = await pair({ incompleteTimeoutMs: 1_000 });
      try {
        const reported = nextError(b, "incomplete-message");
        // two chunks of the next message, then nothing at all, not even a heartbeat
        sender.dropAfter = { count: sender.dataSent + 2, what: "all" };
        await a.send(b.id, new Uint8Array(200_000));
        assert.match(
          await reported,
          /^message \d+ stayed incomplete \(2 of \d+ chunks\) for 1000 ms; it was dropped$/,
        );
      } finally {
        await a.close();
        await b.close();
      }
    });

    it("reports a message cut off when its connection ends", async () => {
      const { a, b, sender, receiver } = await pair();
      try {
        const reported = nextError(b, "incomplete-message");
        const before = receiver.dataReceived;
        sender.dropAfter = { count: sender.dataSent + 2, what: "data" };
        await a.send(b.id, new Uint8Array(200_000));
        await until(
          "b has the first two chunks",
          () => receiver.dataReceived >= before + 2,
          10_000,
        );
        sender.connections.at(-1)!.close(); // a vanishes mid-transfer
        assert.match(
          await reported,
          /^message \d+ was cut off when the connection ended \(2 of \d+ chunks had arrived\)/,
        );
      } finally {
        await a.close();
        await b.close();
      }
    });

    it("makes a failed setup again with a fresh session while a message waits", async () => {
      const offers: string[] = [];
      const handleFrame = server.server.handleFrame.bind(server.server);
      server.server.handleFrame = (connection, data) => {
        const frame = typeof data === "string" ? JSON.parse(data) : undefined;
        if (frame?.type === "relay" && frame.signal?.kind === "offer") {
          offers.push(frame.signal.session);
          if (offers.length === 1) {
            // the first offer does not get through: the servers could not carry it
            return server.server.sendError(connection, "relay-failed", "lost on the way", {
              to: frame.to,
            });
          }
        }
        handleFrame(connection, data);
      };
      const a = await loopbackNode(server.url, engine, "a", { setupTimeoutMs: 600_000 });
      const b = await loopbackNode(server.url, engine, "b");
      try {
        await a.send(b.id, "through the second attempt");
        assert.equal((await b.recv()).data, "through the second attempt");
        assert.equal(offers.length, 2, "one offer failed, one more was made");
        assert.notEqual(offers[0], offers[1], "with a fresh session");
      } finally {
        server.server.handleFrame = handleFrame;
        await a.close();
        await b.close();
      }
    });
  });
}
