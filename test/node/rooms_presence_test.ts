import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { NodeConfig } from "../../core/config.ts";
import { CATEGORIES } from "../../modules/gossip/event.ts";
import { listEvents } from "../../modules/gossip/module.ts";
import { type MemberEvent, Rooms } from "../../node/rooms.ts";
import { overlay } from "../../testing/overlay.ts";

describe("a room's presence (simulated overlay and clock)", () => {
  it("keeps a silent member exactly presenceTtlMs after its presence, then says it is gone", async () => {
    const world = overlay({ seed: 4, gossip: true });
    const ttl = 60_000;
    const clock = { now: Date.now() };
    const options = { presenceTtlMs: ttl, refreshTicks: 1_000_000, now: () => clock.now };
    const [a, b] = [
      await world.join(await NodeConfig.create()),
      await world.join(await NodeConfig.create()),
    ];
    const roomsA = new Rooms(a.id, a.gossip!, world.timer.broker, options);
    const roomsB = new Rooms(b.id, b.gossip!, world.timer.broker, options);
    const room = await roomsA.join("red");
    await roomsB.join("red");
    for (let tick = 0; tick < 5; tick++) await world.step();
    assert.deepEqual(room.members(), [b.id]);
    const told: MemberEvent[] = [];
    room.onMember((event) => told.push(event));
    // b is killed: no word from it again
    world.leave(b.id);
    const [presence] = (await listEvents(a.gossip!, CATEGORIES.rooms))
      .filter((event) => event.author === b.id);
    clock.now = presence.created + ttl;
    await world.step();
    assert.deepEqual(room.members(), [b.id], "exactly the lifetime: still a member");
    clock.now += 1;
    await world.step();
    assert.deepEqual(room.members(), []);
    assert.deepEqual(told, [{ type: "left", id: b.id, reason: "gone" }]);
    await roomsA.close();
  });
});
