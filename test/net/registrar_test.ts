import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type NodeID, U256 } from "../../core/ids.ts";
import { encodeRefusal, parseRefusal } from "../../net/control.ts";
import { NetworkError } from "../../net/errors.ts";
import type { NetworkMessage } from "../../net/inbox.ts";
import type { NetworkIn } from "../../net/network.ts";
import { Registrar } from "../../net/registrar.ts";
import { captureLogs } from "../support/log_capture.ts";

/** A registrar whose network inputs are kept to look at. */
function fresh() {
  const inputs: NetworkIn[] = [];
  return { registrar: new Registrar((msg) => inputs.push(msg)), inputs };
}

const peer = U256.random();

describe("the registrar (module names, sends)", () => {
  it("gives each name to one handler and hands it exactly the messages of its name", () => {
    const { registrar, inputs } = fresh();
    const chat: NetworkMessage[] = [];
    const votes: NetworkMessage[] = [];
    registrar.register("chat", (message) => void chat.push(message));
    registrar.register("votes", (message) => void votes.push(message));
    registrar.deliver(peer, "chat", "hello", 1);
    registrar.deliver(peer, "votes", new Uint8Array([1]), 2);
    assert.deepEqual(chat, [{ from: peer, module: "chat", data: "hello" }]);
    assert.deepEqual(votes, [{ from: peer, module: "votes", data: new Uint8Array([1]) }]);
    assert.deepEqual(inputs, [], "nothing refused");
    assert.throws(() => registrar.register("chat", () => {}), /"chat" is taken on this node/);
    assert.throws(() => registrar.register("\u0000beat", () => {}), /flnet's own control/);
    assert.doesNotThrow(() => registrar.register("other", () => {}), "a free name is taken");
  });

  it("refuses a message for a name nobody holds to its sender, and logs it at most once a second", async () => {
    const { registrar, inputs } = fresh();
    const heard: NetworkMessage[] = [];
    registrar.register("", (message) => void heard.push(message));
    const lines = await captureLogs(() => {
      for (let ref = 1; ref <= 3; ref++) registrar.deliver(peer, "nobody", "x", ref);
      registrar.deliver(peer, "nobody", "no ref: nothing to refuse");
      return Promise.resolve();
    }, "warn");
    assert.deepEqual(heard, [], "no other handler hears it");
    assert.deepEqual(
      inputs,
      [1, 2, 3].map((ref) => ({
        type: "refuse",
        to: peer,
        ref,
        code: "unknown-module",
        message: 'no module "nobody" runs there',
      })),
    );
    assert.equal(lines.length, 1, "one line for the burst");
    assert.match(String(lines[0].args[0]), /module "nobody", which this node does not run/);
  });

  it("says when a handler throws, and hands it the next message all the same", async () => {
    const { registrar, inputs } = fresh();
    const heard: unknown[] = [];
    registrar.register("buggy", (message) => {
      if (message.data === "bad") throw new Error("a bug of the handler");
      heard.push(message.data);
    });
    const lines = await captureLogs(() => {
      registrar.deliver(peer, "buggy", "bad", 1);
      registrar.deliver(peer, "buggy", "good", 2);
      return Promise.resolve();
    }, "warn");
    assert.deepEqual(heard, ["good"]);
    assert.deepEqual(inputs, [], "the sender is not blamed");
    assert.match(
      String(lines[0]?.args[0]),
      /handler of module "buggy" threw: a bug of the handler/,
    );
  });

  it("refuses what a handler refuses, and frees a removed name", () => {
    const { registrar, inputs } = fresh();
    const full = registrar.register("inbox", () => ({
      code: "receive-buffer-full",
      message: "too much unread",
    }));
    registrar.deliver(peer, "inbox", "x", 9);
    assert.deepEqual(inputs.splice(0), [{
      type: "refuse",
      to: peer,
      ref: 9,
      code: "receive-buffer-full",
      message: "too much unread",
    }]);
    full.remove();
    full.remove(); // twice is once
    registrar.deliver(peer, "inbox", "y", 10);
    assert.equal(inputs.length, 1);
    assert.equal(inputs[0].type === "refuse" && inputs[0].code, "unknown-module");
    const again: unknown[] = [];
    registrar.register("inbox", (message) => void again.push(message.data));
    registrar.deliver(peer, "inbox", "z", 11);
    assert.deepEqual(again, ["z"], "the name can be registered anew");
  });

  it("tracks every send: sent resolves, failed rejects with the code, each id once", async () => {
    const { registrar, inputs } = fresh();
    const module = registrar.register("m", () => {});
    const first = module.send(peer, "one");
    const second = module.send(peer, "two", { connect: false });
    const ids = inputs.map((input) => input.type === "send" ? input.id : -1);
    assert.deepEqual(inputs.map((input) => input.type === "send" && input.module), ["m", "m"]);
    assert.deepEqual(inputs.map((input) => input.type === "send" && input.connect), [true, false]);
    assert.notEqual(ids[0], ids[1]);
    registrar.sent(ids[0]);
    assert.equal(registrar.failed(ids[0], "peer-gone", "late"), false, "settled: not again");
    assert.equal(registrar.failed(ids[1], "not-connected", "no connection", peer), true);
    await first;
    await assert.rejects(second, (error: NetworkError) => {
      assert.equal(error.code, "not-connected");
      assert.equal(error.to, peer);
      return true;
    });
    assert.equal(registrar.failed(12345, "closed", "never sent"), false, "an id nobody waits on");
  });

  it("hands a linked module's failure to its callback, and fails everything on close", async () => {
    const { registrar, inputs } = fresh();
    const module = registrar.register("m", () => {});
    const failures: string[] = [];
    const input = module.request(peer, "x", {}, (error) => failures.push(error.code));
    assert.deepEqual(inputs, []);
    assert.equal(input.type === "send" && input.connect, true);
    const pending = module.send(peer, "y");
    registrar.failAll(new NetworkError("closed", "the network closed"));
    await assert.rejects(pending, /the network closed/);
    assert.deepEqual(failures, ["closed"]);
    registrar.failAll(new NetworkError("closed", "again")); // nothing left: nothing happens
    assert.deepEqual(failures, ["closed"]);
  });

  it("rejects a send to something that is not a node id at once, saying so", async () => {
    const { registrar, inputs } = fresh();
    const module = registrar.register("m", () => {});
    await assert.rejects(module.send("not-an-id" as NodeID, "x"), (error: NetworkError) => {
      assert.equal(error.code, "bad-node-id");
      assert.match(error.message, /a node id is 64 hex characters/);
      return true;
    });
    assert.deepEqual(inputs, [], "nothing went to the network");
  });

  it("carries unknown-module in a refusal on the wire", () => {
    const refusal = parseRefusal(encodeRefusal(4, "unknown-module", "no module"));
    assert.deepEqual(refusal, { id: 4, code: "unknown-module", message: "no module" });
    assert.throws(
      () => parseRefusal(JSON.stringify({ id: 4, code: "unknown", message: "" })),
      /one of bad-frame, message-too-large, receive-buffer-full, unknown-module/,
    );
  });
});
