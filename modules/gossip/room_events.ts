/**
 * The gossip events behind rooms (node/rooms.ts): a `room` event is one message to a topic,
 * `{"topic": t, "data": text}`; a `rooms` event is a node's presence, the topics it is in now,
 * `{"topics": [t, …]}`, one per author (the newest replaces the older, so leaving a room is a
 * new presence without it). Both are signed by their author like every gossip event.
 *
 * @example
 * ```ts
 * import { encodePresence, encodeRoomMessage, parsePresence, parseRoomMessage } from "./room_events.ts";
 * console.log(parseRoomMessage(encodeRoomMessage("lobby", "hi"))); // { topic: "lobby", data: "hi" }
 * console.log(parsePresence(encodePresence(["lobby"]))); // ["lobby"]
 * ```
 * @module
 */

/** The most topics one node is in at once. */
export const MAX_TOPICS = 32;
/** The longest topic, in characters. */
export const MAX_TOPIC_CHARS = 100;
/** The longest presence payload, in characters (the gossip store refuses longer). */
export const PRESENCE_MAX_CHARS = MAX_TOPICS * (MAX_TOPIC_CHARS * 6 + 3) + 16;

/** Throws a TypeError unless `topic` is a room topic: 1 to 100 characters, no control ones. */
export function checkTopic(topic: unknown): string {
  if (
    typeof topic !== "string" || topic.length === 0 || topic.length > MAX_TOPIC_CHARS ||
    // deno-lint-ignore no-control-regex
    /[\u0000-\u001f]/.test(topic)
  ) {
    throw new TypeError(`a room topic is 1 to ${MAX_TOPIC_CHARS} characters, none a control one`);
  }
  return topic;
}

/** One message to a room, as its event holds it. */
export interface RoomPayload {
  /** The room. */
  topic: string;
  /** What was said. */
  data: string;
}

/** The payload of a message `data` to room `topic`. */
export function encodeRoomMessage(topic: string, data: string): string {
  return JSON.stringify({ topic: checkTopic(topic), data });
}

/** Reads a room message payload; throws a TypeError saying what is wrong. */
export function parseRoomMessage(payload: string): RoomPayload {
  const value = parseObject(payload, "a room message");
  if (typeof value.data !== "string") throw new TypeError("a room message's data is text");
  return { topic: checkTopic(value.topic), data: value.data };
}

/** The payload of a presence in `topics`. */
export function encodePresence(topics: string[]): string {
  if (topics.length > MAX_TOPICS) throw new TypeError(`a node is in at most ${MAX_TOPICS} rooms`);
  return JSON.stringify({ topics: topics.map(checkTopic) });
}

/** Reads a presence payload: the topics; throws a TypeError saying what is wrong. */
export function parsePresence(payload: string): string[] {
  const { topics } = parseObject(payload, "a presence");
  if (!Array.isArray(topics) || topics.length > MAX_TOPICS) {
    throw new TypeError(`a presence lists at most ${MAX_TOPICS} topics`);
  }
  return topics.map(checkTopic);
}

function parseObject(payload: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    throw new TypeError(`${what} is JSON`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`${what} is a JSON object`);
  }
  return value as Record<string, unknown>;
}
