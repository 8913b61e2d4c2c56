/**
 * The test vectors of docs/wire.md, read from the page itself so they cannot drift: flnet
 * encodes each to exactly the bytes given and decodes them back.
 * @module
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import v1Fixture from "../core/fixtures/node_config_v1.json" with { type: "json" };
import { NodeConfig } from "../../core/config.ts";
import { fromHex, type NodeID, toHex } from "../../core/ids.ts";
import { setupSigningText, verifySetup } from "../../net/setup_signal.ts";
import { encodeBatch, encodeMessage } from "../../net/framing.ts";
import { Reassembler, type ReassemblyResult } from "../../net/reassembler.ts";
import { parseRefusal } from "../../net/control.ts";

interface MessageVector {
  name: string;
  id: number;
  module: string;
  text?: string;
  bytes?: string;
  frames: string[];
}

interface Vectors {
  setup: { from: NodeID; to: NodeID; signal: Record<string, unknown>; signedText: string }[];
  messages: MessageVector[];
  batches: { name: string; messages: Omit<MessageVector, "name" | "frames">[]; hex: string }[];
  chunked: {
    name: string;
    id: number;
    module: string;
    length: number;
    frameBytes: number;
    frames: { length: number; head: string; sha256: string }[];
  }[];
}

const page = await Deno.readTextFile(new URL("../../docs/wire.md", import.meta.url));
const block = /## Test vectors[\s\S]*?```json\n([\s\S]*?)\n```/.exec(page);
if (!block) throw new Error("docs/wire.md has no ```json block under ## Test vectors");
const vectors = JSON.parse(block[1]) as Vectors;

/** Every message `frames` rebuild to, failing on any error. */
function decode(frames: Uint8Array[]): (ReassemblyResult & { kind: "message" })[] {
  const reassembler = new Reassembler({ maxMessageBytes: 1 << 20, incompleteTimeoutMs: 1000 });
  try {
    return frames.flatMap((frame) => reassembler.push(frame)).map((result) => {
      assert.equal(result.kind, "message", JSON.stringify(result));
      return result as ReassemblyResult & { kind: "message" };
    });
  } finally {
    reassembler.close();
  }
}

const payloadOf = (m: { text?: string; bytes?: string }) => m.text ?? fromHex(m.bytes!);

describe("the test vectors of docs/wire.md", () => {
  it("has vectors of every kind", () => {
    assert.ok(vectors.setup.length >= 2 && vectors.messages.length >= 4);
    assert.ok(vectors.batches.length >= 1 && vectors.chunked.length >= 1);
    const modules = vectors.messages.map((m) => m.module);
    assert.ok(modules.includes("\u0000close") && modules.includes("\u0000refused"));
  });

  it("setup messages: the signed text, the signature (deterministic) and its check", async () => {
    const signer = await NodeConfig.decode(JSON.stringify(v1Fixture));
    for (const { from, to, signal, signedText } of vectors.setup) {
      assert.equal(from, signer.id);
      const { signature, ...fields } = signal;
      assert.equal(setupSigningText(from, to, fields as never), signedText);
      assert.equal(toHex(await signer.sign(new TextEncoder().encode(signedText))), signature);
      const checked = await verifySetup(from, to, signal, signal.time as number);
      assert.equal(checked.kind, signal.kind);
    }
  });

  it("single messages and control messages encode to the bytes given and back", () => {
    for (const vector of vectors.messages) {
      const frames = [...encodeMessage(vector.id, {
        module: vector.module,
        data: payloadOf(vector),
      })];
      assert.deepEqual(frames.map(toHex), vector.frames, vector.name);
      const [message] = decode(vector.frames.map((hex) => fromHex(hex)));
      assert.equal(message.id, vector.id);
      assert.equal(message.module, vector.module);
      assert.deepEqual(message.data, payloadOf(vector), vector.name);
      if (vector.module === "\u0000refused") assert.equal(parseRefusal(vector.text!).id, 3);
    }
  });

  it("batches encode to the bytes given and back", () => {
    for (const batch of vectors.batches) {
      const frames = batch.messages.flatMap((m) => [
        ...encodeMessage(m.id, { module: m.module, data: payloadOf(m) }),
      ]);
      assert.equal(toHex(encodeBatch(frames)), batch.hex, batch.name);
      const messages = decode([fromHex(batch.hex)]);
      assert.deepEqual(
        messages.map((m) => [m.id, m.module, m.data]),
        batch.messages.map((m) => [m.id, m.module, payloadOf(m)]),
      );
    }
  });

  it("chunked messages split into the frames given and rebuild whole", async () => {
    for (const vector of vectors.chunked) {
      const data = new Uint8Array(vector.length).map((_, i) => i % 256);
      const frames = [
        ...encodeMessage(vector.id, { module: vector.module, data }, vector.frameBytes),
      ];
      const described = await Promise.all(frames.map(async (frame) => ({
        length: frame.length,
        head: toHex(frame.subarray(0, 19)),
        sha256: toHex(
          new Uint8Array(await crypto.subtle.digest("SHA-256", frame as Uint8Array<ArrayBuffer>)),
        ),
      })));
      assert.deepEqual(described, vector.frames, vector.name);
      const [message] = decode(frames);
      assert.deepEqual(message.data, data);
    }
  });
});
