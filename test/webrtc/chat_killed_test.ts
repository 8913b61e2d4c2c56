/**
 * What `sendChat` promises when it resolves: the message is stored. A node process sends chat
 * messages alone (no neighbours yet to push them to) and is killed with SIGKILL right after the
 * last `sendChat` resolved; started again on the same directory it has every one of them, and
 * no temporary file of an interrupted write is left.
 * @module
 */

import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type PeerProcess, startPeer } from "../../harness/peer_process.ts";
import { startSignalProcess } from "../../harness/signal_process.ts";

/** The next event of `peer` named `event`. */
async function nextEvent(peer: PeerProcess, event: string): Promise<Record<string, unknown>> {
  for (;;) {
    const next = await peer.next();
    if (next.event === event) return next;
  }
}

describe("a node killed right after sendChat resolved", { timeout: 60_000 }, () => {
  it("has every message it stored when started again, and no leftover temporary file", async () => {
    const server = await startSignalProcess([]);
    const dir = await mkdtemp(join(tmpdir(), "flnet-chat-killed-"));
    const args = ["--mode", "node", "--signal", server.url, "--dir", dir, "--engine", "wrtc"];
    let peer: PeerProcess | undefined;
    try {
      peer = await startPeer("deno", args);
      const texts = Array.from({ length: 16 }, (_, i) => `stored before the kill ${i}`);
      for (const text of texts) peer.send({ chat: text });
      for (const text of texts) assert.equal((await nextEvent(peer, "chat-stored")).text, text);
      peer.child.kill("SIGKILL");
      await peer.exited;
      // what a write interrupted by a kill leaves behind
      await writeFile(join(dir, "gossip.json.0123456789ab.tmp"), "half a write");

      peer = await startPeer("deno", args);
      peer.send({ history: true });
      const history = (await nextEvent(peer, "history")).texts as string[];
      assert.deepEqual(texts.filter((text) => !history.includes(text)), [], "none lost");
      assert.deepEqual((await readdir(dir)).filter((name) => name.endsWith(".tmp")), []);
    } finally {
      peer?.child.kill("SIGKILL");
      await server.kill();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
