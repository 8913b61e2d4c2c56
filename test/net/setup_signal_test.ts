import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { NodeConfig } from "../../core/config.ts";
import { SMALL_ORDER_POINTS } from "../../core/ed25519.ts";
import type { NodeID } from "../../core/ids.ts";
import {
  MAX_CLOCK_SKEW_MS,
  parseSetupSignal,
  SetupAuthError,
  type SetupSignal,
  setupSigningText,
  signSetup,
  verifySetup,
} from "../../net/setup_signal.ts";
import {
  CHALLENGE_RESEND_MS,
  CHALLENGE_TTL_MS,
  MAX_PENDING_CHECKS,
  MAX_PENDING_PER_SENDER,
  SetupGuard,
  type SetupGuardOptions,
} from "../../net/setup_guard.ts";
import { toHex } from "../../core/ids.ts";
import { until } from "../../harness/network.ts";

const OFFER: SetupSignal = { kind: "offer", session: "s1", sdp: "v=0\r\na=fingerprint:sha-256 AA" };
const CANDIDATE: SetupSignal = {
  kind: "candidate",
  session: "s1",
  candidate: "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host",
  sdpMid: "0",
  sdpMLineIndex: 0,
};

const NONCE = "0123456789abcdef".repeat(2);

async function pair() {
  return [await NodeConfig.create(), await NodeConfig.create()] as const;
}

/** `signal` signed by `config` for `to` as if its clock said `time`. */
async function signAt(config: NodeConfig, to: NodeID, signal: SetupSignal, time: number) {
  const text = new TextEncoder().encode(setupSigningText(config.id, to, { ...signal, time }));
  return { ...signal, time, signature: toHex(await config.sign(text)) };
}

describe("signed setup messages", () => {
  it("verify for the receiver they were signed for, with their time", async () => {
    const [alice, bob] = await pair();
    for (
      const signal of [
        OFFER,
        { ...OFFER, nonce: NONCE },
        CANDIDATE,
        { kind: "refused", session: "s1", reason: "no" },
        { kind: "challenge", session: "s1", nonce: NONCE },
      ]
    ) {
      const signed = await signSetup(alice, bob.id, signal as SetupSignal);
      const checked = await verifySetup(alice.id, bob.id, signed);
      assert.deepEqual(checked, { ...parseSetupSignal(signed), time: signed.time });
    }
  });

  it("refuse every change an attacker could make", async () => {
    const [alice, bob] = await pair();
    const carol = await NodeConfig.create();
    const signed = await signSetup(alice, bob.id, OFFER);
    const fails = async (what: string, from: NodeID, to: NodeID, value: object) => {
      await assert.rejects(
        verifySetup(from, to, value as Record<string, unknown>),
        (e: Error) => e instanceof SetupAuthError && /signature/.test(e.message),
        what,
      );
    };
    await fails("another fingerprint", alice.id, bob.id, { ...signed, sdp: "v=0\r\na=x BB" });
    await fails("another session", alice.id, bob.id, { ...signed, session: "s2" });
    await fails("another kind", alice.id, bob.id, { ...signed, kind: "answer" });
    await fails("another time", alice.id, bob.id, { ...signed, time: signed.time + 1 });
    await fails("another sender", carol.id, bob.id, signed);
    await fails("another receiver", alice.id, carol.id, signed);
    const candidate = await signSetup(alice, bob.id, CANDIDATE);
    await fails("another address", alice.id, bob.id, {
      ...candidate,
      candidate: CANDIDATE.kind === "candidate" &&
        CANDIDATE.candidate.replace("127.0.0.1", "10.9.9.9"),
    });
    await fails("another m-line", alice.id, bob.id, { ...candidate, sdpMLineIndex: 1 });
    await fails("another mid", alice.id, bob.id, { ...candidate, sdpMid: "1" });
    const answering = await signSetup(alice, bob.id, { ...OFFER, nonce: NONCE });
    await fails("another nonce", alice.id, bob.id, { ...answering, nonce: "f".repeat(32) });
    await fails("no nonce", alice.id, bob.id, { ...answering, nonce: undefined });
    const challenge = await signSetup(alice, bob.id, {
      kind: "challenge",
      session: "s",
      nonce: NONCE,
    });
    await fails("another challenge", alice.id, bob.id, { ...challenge, nonce: "e".repeat(32) });
    const bits = signed.signature.replace(/^./, (c) => c === "0" ? "1" : "0");
    await fails("a flipped signature bit", alice.id, bob.id, { ...signed, signature: bits });
  });

  it("refuse a message without proof, or with a time too far off the clock", async () => {
    const [alice, bob] = await pair();
    await assert.rejects(
      verifySetup(alice.id, bob.id, { ...OFFER }),
      (e: Error) => e instanceof SetupAuthError && /not signed/.test(e.message),
    );
    const signed = await signSetup(alice, bob.id, OFFER);
    const { time: _, ...timeless } = signed;
    await assert.rejects(
      verifySetup(alice.id, bob.id, timeless),
      (e: Error) => e instanceof SetupAuthError && /no time/.test(e.message),
    );
    assert.equal(MAX_CLOCK_SKEW_MS, 10 * 60_000, "the 10 minutes docs/wire.md gives");
    for (const off of [MAX_CLOCK_SKEW_MS + 1, -MAX_CLOCK_SKEW_MS - 1]) {
      await assert.rejects(
        verifySetup(alice.id, bob.id, signed, signed.time + off),
        (e: Error) => e instanceof SetupAuthError && /off this node's clock/.test(e.message),
      );
    }
    for (const off of [MAX_CLOCK_SKEW_MS, -MAX_CLOCK_SKEW_MS]) {
      await verifySetup(alice.id, bob.id, signed, signed.time + off); // just inside
    }
  });

  it("refuse every small-order sender key, whatever the signature", async () => {
    const bob = await NodeConfig.create();
    for (const point of SMALL_ORDER_POINTS) {
      const value = { ...OFFER, time: Date.now(), signature: "00".repeat(32) + "00".repeat(32) };
      await assert.rejects(
        verifySetup(point as NodeID, bob.id, value),
        SetupAuthError,
        point,
      );
    }
  });

  it("refuse malformed fields with a TypeError before looking at the proof", () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ kind: "offer", session: "s" }, /offer\.sdp must be a string/],
      [{ kind: "offer", session: "a b", sdp: "v=0" }, /printable ASCII/],
      [
        { kind: "offer", session: "x".repeat(65), sdp: "v=0" },
        /session must be a string of 1 to 64/,
      ],
      [{ kind: "candidate", session: "s", candidate: "a\r\nb" }, /one line/],
      [{ kind: "candidate", session: "s", candidate: "c", sdpMLineIndex: -1 }, /non-negative/],
      [{ kind: "candidate", session: "s", candidate: "c", sdpMid: 3 }, /sdpMid must be a string/],
      [{ kind: "refused", session: "s", reason: "" }, /reason must be a string/],
      [{ kind: "offer", session: "s", sdp: "v=0", nonce: "a".repeat(31) }, /nonce must be 32/],
      [{ kind: "offer", session: "s", sdp: "v=0", nonce: "A".repeat(32) }, /nonce must be 32/],
      [{ kind: "challenge", session: "s", nonce: "a".repeat(33) }, /challenge\.nonce must be 32/],
      [{ kind: "challenge", session: "s" }, /challenge\.nonce must be 32/],
      [{ kind: "bye", session: "s" }, /unknown setup message kind "bye"/],
    ];
    for (const [value, error] of bad) assert.throws(() => parseSetupSignal(value), error);
  });

  it("sign with strictly increasing times, and cover the documented text", async () => {
    const [alice, bob] = await pair();
    const times = [];
    for (let i = 0; i < 20; i++) times.push((await signSetup(alice, bob.id, OFFER)).time);
    for (let i = 1; i < times.length; i++) assert.ok(times[i] > times[i - 1]);
    assert.equal(
      setupSigningText(alice.id, bob.id, { ...CANDIDATE, time: 5 }),
      `flnet-setup\nversion 1\nfrom ${alice.id}\nto ${bob.id}\nsession s1\nkind candidate\n` +
        "time 5\n0\n0\ncandidate:1 1 udp 2122260223 127.0.0.1 50000 typ host",
    );
    assert.equal(
      setupSigningText(alice.id, bob.id, { ...OFFER, nonce: NONCE, time: 5 }),
      `flnet-setup\nversion 1\nfrom ${alice.id}\nto ${bob.id}\nsession s1\nkind offer\n` +
        `time 5\nnonce ${NONCE}\nv=0\r\na=fingerprint:sha-256 AA`,
    );
    assert.equal(
      setupSigningText(alice.id, bob.id, {
        kind: "challenge",
        session: "s1",
        nonce: NONCE,
        time: 5,
      }),
      `flnet-setup\nversion 1\nfrom ${alice.id}\nto ${bob.id}\nsession s1\nkind challenge\n` +
        `time 5\n${NONCE}`,
    );
  });
});

describe("the setup guard", () => {
  /** A guard for `config` that records what it hands on. */
  function recording(config: NodeConfig, failFirst = false, options: SetupGuardOptions = {}) {
    const seen: string[] = [];
    const sent: Record<string, unknown>[] = [];
    let failing = failFirst;
    const fail = () => {
      if (!failing) return;
      failing = false;
      throw new Error("the carrier broke");
    };
    const guard = new SetupGuard(config, {
      send: (_, signed) => (fail(), sent.push(signed)),
      accept: (from, signal) => (fail(), seen.push(`accept ${from === config.id} ${signal.kind}`)),
      reject: (_, code, message) => seen.push(`${code}: ${message}`),
      unsent: (_, session, reason) => seen.push(`unsent ${session}: ${reason}`),
    }, options);
    return { guard, seen, sent };
  }
  const settled = () => new Promise((resolve) => setTimeout(resolve, 200));

  it("keeps each direction in order and challenges a replayed offer", async () => {
    const [alice, bob] = await pair();
    const out = recording(alice);
    out.guard.outgoing(bob.id, OFFER);
    out.guard.outgoing(bob.id, CANDIDATE);
    await settled();
    assert.deepEqual(out.sent.map((s) => s.kind), ["offer", "candidate"]);
    const into = recording(bob);
    for (const signed of out.sent) into.guard.incoming(alice.id, signed);
    into.guard.incoming(alice.id, out.sent[0]); // the same offer again
    await settled();
    assert.equal(into.seen[0], "accept false offer");
    assert.equal(into.seen[1], "accept false candidate");
    assert.equal(into.seen.length, 2, "the replay is not taken");
    assert.deepEqual(into.sent.map((s) => [s.kind, s.session]), [["challenge", "s1"]]);
  });

  it("refuses an offer held back until after an answer of its sender was taken", async () => {
    const [alice, bob] = await pair();
    const ANSWER = { ...OFFER, kind: "answer" as const, session: "s2" };
    // alice's offer is held back; bob offers, alice answers: their connection is up
    const held = await signSetup(alice, bob.id, OFFER);
    const answer = await signSetup(alice, bob.id, ANSWER);
    const into = recording(bob);
    into.guard.incoming(alice.id, answer);
    into.guard.incoming(alice.id, held); // delivered late: older than the answer
    await settled();
    assert.deepEqual(into.seen, ["accept false answer"]);
    assert.deepEqual(into.sent.map((s) => s.kind), ["challenge"], "alice offers s1 no more");
    // alice's next offer, signed after the answer, replaces the connection as it should
    into.guard.incoming(alice.id, await signSetup(alice, bob.id, { ...OFFER, session: "s3" }));
    await settled();
    assert.equal(into.seen[1], "accept false offer");
  });

  it("rejects a forged message as peer-auth-failed and a malformed one as bad-setup", async () => {
    const [alice, bob] = await pair();
    const into = recording(bob);
    const signed = await signSetup(alice, bob.id, CANDIDATE);
    const bits = (signed.signature[0] === "0" ? "1" : "0") + signed.signature.slice(1);
    into.guard.incoming(alice.id, { ...signed, signature: bits });
    into.guard.incoming(alice.id, { kind: "offer", session: "s" });
    await settled();
    assert.match(
      into.seen[0],
      /^peer-auth-failed: refused a setup message said to be from node \w+: the signature does not match/,
    );
    assert.match(
      into.seen[1],
      /^bad-setup: refused a setup message said to be from node \w+: setup offer\.sdp/,
    );
    assert.equal(into.seen.length, 2);
  });

  it("reports a message that fails on its way and keeps both directions going", async () => {
    const [alice, bob] = await pair();
    const out = recording(alice, true);
    out.guard.outgoing(bob.id, OFFER);
    out.guard.outgoing(bob.id, CANDIDATE);
    await settled();
    assert.deepEqual(out.seen, ["unsent s1: a setup message failed: the carrier broke"]);
    assert.deepEqual(out.sent.map((s) => s.kind), ["candidate"], "the next one still goes");
    const into = recording(bob, true);
    const offer = await signSetup(alice, bob.id, OFFER);
    into.guard.incoming(alice.id, offer);
    into.guard.incoming(alice.id, await signSetup(alice, bob.id, CANDIDATE));
    await settled();
    assert.match(into.seen[0], /^bad-setup: handling a setup message of node \w+ failed/);
    assert.equal(into.seen[1], "accept false candidate", "the next one is still checked");
  });

  it("holds a neighbour carrying others' messages to one share, whatever `from` they name", async () => {
    const [bob, carrier] = await pair();
    const senders = await Promise.all(
      Array.from({ length: MAX_PENDING_PER_SENDER + 1 }, () => NodeConfig.create()),
    );
    const signed = await Promise.all(senders.map((c) => signSetup(c, bob.id, CANDIDATE)));
    const into = recording(bob);
    const dropped = () => into.seen.filter((s) => /waiting for their signature check/.test(s));
    for (const [i, sender] of senders.entries()) {
      into.guard.incoming(sender.id, signed[i], "overlay", carrier.id);
    }
    assert.equal(dropped().length, 1, "the one past the carrier's share");
    assert.match(dropped()[0], /: 32 of its are waiting/);
    // the same senders through the server are each their own source
    into.guard.incoming(senders.at(-1)!.id, signed.at(-1)!);
    assert.equal(dropped().length, 1);
    const accepted = () => into.seen.filter((s) => s.startsWith("accept")).length;
    await until("the checks", () => accepted() >= 33, 30_000);
    assert.equal(accepted(), 33);
  });

  it("holds at most MAX_PENDING_PER_SENDER of one sender and MAX_PENDING_CHECKS in all", async () => {
    const [alice, bob] = await pair();
    // everything signed first: the checks start draining the queue once anything is queued
    const others = await Promise.all(
      Array.from(
        { length: MAX_PENDING_CHECKS / MAX_PENDING_PER_SENDER },
        () => NodeConfig.create(),
      ),
    );
    const signedBy = new Map(
      await Promise.all(
        [alice, ...others].map(async (c) => [c.id, await signSetup(c, bob.id, CANDIDATE)] as const),
      ),
    );
    const into = recording(bob);
    const dropped = () => into.seen.filter((s) => /waiting for their signature check/.test(s));
    // one sender: exactly its share waits, one more is refused, naming it
    for (let i = 0; i <= MAX_PENDING_PER_SENDER; i++) {
      into.guard.incoming(alice.id, signedBy.get(alice.id)!);
    }
    assert.equal(dropped().length, 1);
    assert.match(dropped()[0], /: 32 of its are waiting/);
    // the others still get in, until all together fill the queue: the last one finds it full
    for (const [i, other] of others.entries()) {
      const room = i === others.length - 1 ? 1 : MAX_PENDING_PER_SENDER;
      for (let n = 0; n < room; n++) into.guard.incoming(other.id, signedBy.get(other.id)!);
    }
    assert.equal(dropped().length, 2, "only the one past the whole queue");
    assert.match(dropped()[1], /: 1024 are waiting/);
    const accepted = () => into.seen.filter((s) => s.startsWith("accept")).length;
    await until("the checks", () => accepted() >= MAX_PENDING_CHECKS, 60_000);
    await settled();
    assert.equal(accepted(), MAX_PENDING_CHECKS);
    // once checked, a sender's share is free again
    into.guard.incoming(alice.id, signedBy.get(alice.id)!);
    await settled();
    assert.equal(accepted(), MAX_PENDING_CHECKS + 1);
  });

  /** A guard of bob's with a simulated clock, `offset` ms after the test began. */
  function challenging(bob: NodeConfig, options: SetupGuardOptions = {}) {
    const clock = { offset: 0 };
    const start = Date.now();
    const into = recording(bob, false, { now: () => start + clock.offset, ...options });
    const challenges = () =>
      into.sent.filter((s) => s.kind === "challenge") as unknown as { nonce: string }[];
    return { ...into, clock, challenges };
  }

  it("takes an offer that answers its challenge once, within CHALLENGE_TTL_MS", async () => {
    const [alice, bob] = await pair();
    const into = challenging(bob);
    const first = await signSetup(alice, bob.id, OFFER);
    into.guard.incoming(alice.id, first);
    into.guard.incoming(alice.id, first);
    await settled();
    const [{ nonce }] = into.challenges();
    assert.match(nonce, /^[0-9a-f]{32}$/);
    const answer = (session: string) =>
      signSetup(alice, bob.id, { ...OFFER, session, nonce } as SetupSignal);
    into.guard.incoming(alice.id, await signSetup(alice, bob.id, { ...OFFER, nonce: NONCE }));
    await settled();
    assert.match(into.seen[1], /^peer-auth-failed: .*its nonce answers no challenge/);
    into.clock.offset = CHALLENGE_TTL_MS; // exactly its lifetime: still good
    into.guard.incoming(alice.id, await answer("s2"));
    await settled();
    assert.equal(into.seen[2], "accept false offer");
    into.guard.incoming(alice.id, await answer("s3")); // a second answer to the same
    await settled();
    assert.match(into.seen[3], /^peer-auth-failed: .*answered already/);
    // a challenge one millisecond past its lifetime answers nothing
    into.guard.incoming(alice.id, first);
    await settled();
    const second = into.challenges()[1].nonce;
    assert.notEqual(second, nonce);
    into.clock.offset += CHALLENGE_TTL_MS + 1;
    into.guard.incoming(alice.id, await signSetup(alice, bob.id, { ...OFFER, nonce: second }));
    await settled();
    assert.match(into.seen[4], /^peer-auth-failed: .*answers no challenge/);
    assert.equal(into.seen.length, 5);
  });

  it("sends one challenge a node a second, and replays neither renew nor void it", async () => {
    const [alice, bob] = await pair();
    const into = challenging(bob);
    const old = await signSetup(alice, bob.id, OFFER);
    into.guard.incoming(alice.id, await signSetup(alice, bob.id, { ...OFFER, session: "s0" }));
    for (let i = 0; i < 5; i++) into.guard.incoming(alice.id, old);
    await settled();
    assert.equal(into.challenges().length, 1, "5 replays in a second: one challenge");
    into.clock.offset = CHALLENGE_RESEND_MS - 1;
    into.guard.incoming(alice.id, old);
    await settled();
    assert.equal(into.challenges().length, 1);
    into.clock.offset = CHALLENGE_RESEND_MS;
    into.guard.incoming(alice.id, old);
    await settled();
    const [first, again] = into.challenges();
    assert.equal(again.nonce, first.nonce, "sent again, the same");
    into.guard.incoming(alice.id, await signSetup(alice, bob.id, { ...OFFER, nonce: first.nonce }));
    await settled();
    assert.deepEqual(into.seen, ["accept false offer", "accept false offer"]);
  });

  it("refuses a replay however many nodes offered since (the memory bound is no window)", async () => {
    const [alice, bob] = await pair();
    const bound = 3;
    const others = await Promise.all(Array.from({ length: bound + 1 }, () => NodeConfig.create()));
    const into = challenging(bob, { maxOfferTimes: bound });
    // signed before alice's offer, whose time is the one forgotten below
    const early = await signSetup(others[bound], bob.id, OFFER);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const replayed = await signSetup(alice, bob.id, OFFER);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const late = await Promise.all(others.slice(0, bound).map((o) => signSetup(o, bob.id, OFFER)));
    into.guard.incoming(alice.id, replayed);
    // alice and bound - 1 others: alice is remembered, exactly at the bound
    for (let i = 0; i < bound - 1; i++) into.guard.incoming(others[i].id, late[i]);
    into.guard.incoming(alice.id, replayed);
    await settled();
    assert.equal(into.challenges().length, 1, "at the bound: challenged, alice remembered");
    // one beyond: alice is forgotten, and her replay still is not taken
    into.guard.incoming(others[bound - 1].id, late[bound - 1]);
    into.clock.offset = CHALLENGE_RESEND_MS;
    into.guard.incoming(alice.id, replayed);
    await settled();
    assert.equal(into.challenges().length, 2, "beyond the bound: challenged all the same");
    // a node never seen, with an offer older than the times forgotten, is challenged too ...
    into.guard.incoming(others[bound].id, early);
    await settled();
    assert.equal(into.challenges().length, 3);
    // ... and a new offer of each is taken
    await new Promise((resolve) => setTimeout(resolve, 5));
    into.guard.incoming(alice.id, await signSetup(alice, bob.id, { ...OFFER, session: "s9" }));
    into.guard.incoming(others[bound].id, await signSetup(others[bound], bob.id, OFFER));
    await settled();
    assert.equal(into.seen.filter((s) => s === "accept false offer").length, bound + 3);
    assert.equal(into.seen.length, bound + 3, "nothing refused");
  });

  it("lets a node whose clock was set back connect after one challenge", async () => {
    const [alice, bob] = await pair();
    const into = challenging(bob);
    const ahead = 9 * 60_000;
    const early = await signAt(alice, bob.id, OFFER, Date.now() + ahead);
    into.guard.incoming(alice.id, early);
    await settled();
    // alice's clock is set right: her next offer looks older than the one before
    const now = await signAt(alice, bob.id, { ...OFFER, session: "s2" }, Date.now());
    into.guard.incoming(alice.id, now);
    await settled();
    assert.deepEqual(into.seen, ["accept false offer"]);
    const [{ nonce }] = into.challenges();
    const answer = { ...OFFER, session: "s3", nonce } as SetupSignal;
    into.guard.incoming(alice.id, await signAt(alice, bob.id, answer, Date.now()));
    await settled();
    assert.deepEqual(into.seen, ["accept false offer", "accept false offer"]);
    // the offer made while her clock was ahead is still no good as a replay
    into.clock.offset = CHALLENGE_RESEND_MS;
    into.guard.incoming(alice.id, early);
    await settled();
    assert.equal(into.seen.length, 2);
    assert.equal(into.challenges().length, 2);
  });

  it("forgets the oldest challenge beyond maxChallenges", async () => {
    const [bob] = await pair();
    const senders = await Promise.all([0, 1, 2].map(() => NodeConfig.create()));
    const into = challenging(bob, { maxChallenges: 2 });
    const stale = await Promise.all(senders.map((s) => signSetup(s, bob.id, OFFER)));
    // every sender's offer is taken, then replayed: a challenge each
    for (const [i, s] of senders.entries()) into.guard.incoming(s.id, stale[i]);
    for (const [i, s] of senders.entries()) into.guard.incoming(s.id, stale[i]);
    await settled();
    const nonces = into.challenges().map((c) => c.nonce);
    assert.equal(nonces.length, 3);
    const answers = await Promise.all(
      senders.map((s, i) =>
        signSetup(s, bob.id, { ...OFFER, session: `a${i}`, nonce: nonces[i] } as SetupSignal)
      ),
    );
    for (const [i, s] of senders.entries()) into.guard.incoming(s.id, answers[i]);
    await settled();
    assert.match(into.seen[3], /answers no challenge/, "the first, forgotten");
    assert.deepEqual(into.seen.slice(4), ["accept false offer", "accept false offer"]);
  });
});
