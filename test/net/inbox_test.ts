import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import type { NodeID } from "../../core/ids.ts";
import { Inbox, INBOX_LIMITS } from "../../net/inbox.ts";

const from = "a".repeat(64) as NodeID;
const message = (data: string | Uint8Array) => ({ from, module: "", data });

describe("an inbox", () => {
  it("holds at most its count of messages, and takes more once some are read", async () => {
    // the default docs/network.md gives
    assert.deepEqual(INBOX_LIMITS, { messages: 4096, bytes: 64 * 1024 * 1024 });
    const inbox = new Inbox({ messages: 2, bytes: 1024 });
    assert.ok(inbox.offer(message("1")) && inbox.offer(message("2")));
    assert.equal(inbox.offer(message("3")), false);
    assert.equal((await inbox.recv()).data, "1");
    assert.ok(inbox.offer(message("4")));
    assert.deepEqual([(await inbox.recv()).data, (await inbox.recv()).data], ["2", "4"]);
  });

  it("holds at most its bytes (text at 2 a character), but always one message", async () => {
    const inbox = new Inbox({ messages: 100, bytes: 10 });
    assert.ok(inbox.offer(message(new Uint8Array(1000))), "an empty inbox takes any message");
    assert.equal(inbox.offer(message("x")), false);
    await inbox.recv();
    assert.equal(inbox.bytes, 0);
    assert.ok(inbox.offer(message("abcd"))); // 8 bytes
    assert.equal(inbox.bytes, 8);
    assert.equal(inbox.offer(message("ab")), false, "8 + 4 > 10");
    assert.ok(inbox.offer(message("a")));
    assert.equal(inbox.size, 2);
  });

  it("keeps taking messages after a for await loop is left", async () => {
    const inbox = new Inbox({ messages: 10, bytes: 1024 });
    inbox.offer(message("first"));
    for await (const got of inbox) {
      assert.equal(got.data, "first");
      break;
    }
    assert.ok(inbox.offer(message("second")), "still open");
    assert.equal(inbox.closed, false);
    assert.equal((await inbox.recv()).data, "second");
    inbox.close();
    assert.equal(inbox.closed, true, "so a refused offer is told apart from a full inbox");
    assert.equal(inbox.offer(message("late")), false);
    await assert.rejects(inbox.recv(), /closed/);
  });
});
