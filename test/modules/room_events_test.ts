import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import {
  checkTopic,
  encodePresence,
  encodeRoomMessage,
  MAX_TOPICS,
  parsePresence,
  parseRoomMessage,
  PRESENCE_MAX_CHARS,
} from "../../modules/gossip/room_events.ts";

describe("room events", () => {
  it("read back what was written", () => {
    assert.deepEqual(parseRoomMessage(encodeRoomMessage("lobby", "hi")), {
      topic: "lobby",
      data: "hi",
    });
    assert.deepEqual(parsePresence(encodePresence(["a", "b"])), ["a", "b"]);
  });

  it("bound topics: length, control characters, how many one node is in", () => {
    assert.throws(() => checkTopic(""), /1 to 100 characters/);
    assert.throws(() => checkTopic("x".repeat(101)), /1 to 100 characters/);
    assert.throws(() => checkTopic("a\nb"), /control/);
    assert.throws(() => checkTopic(7), /1 to 100/);
    const most = Array.from({ length: MAX_TOPICS }, (_, i) => `${i}`.padEnd(100, "é"));
    assert.ok(encodePresence(most).length <= PRESENCE_MAX_CHARS);
    assert.throws(() => encodePresence([...most, "one more"]), /at most 32 rooms/);
    assert.throws(
      () => parsePresence(JSON.stringify({ topics: [...most, "one more"] })),
      /at most 32 topics/,
    );
  });

  it("refuse what is not theirs, saying what is wrong", () => {
    assert.throws(() => parseRoomMessage("{"), /is JSON/);
    assert.throws(() => parseRoomMessage("[]"), /a JSON object/);
    assert.throws(() => parseRoomMessage('{"topic":"a","data":7}'), /data is text/);
    assert.throws(() => parseRoomMessage('{"data":"x"}'), /room topic/);
    assert.throws(() => parsePresence('{"topics":"a"}'), /at most 32 topics/);
  });
});
