/**
 * The cluster's message bus over NATS core, with the npm client `@nats-io/transport-node` (it
 * runs on Node and, through Deno's npm support, on Deno).
 *
 * @example
 * ```ts ignore
 * import { connectNatsBus } from "./nats_bus.ts";
 * const bus = await connectNatsBus(["nats://127.0.0.1:4222"]);
 * await bus.close();
 * ```
 * @module
 */

import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Logger } from "../../core/log.ts";
import { type ClusterBus, NoRespondersError } from "../../signal/cluster_options.ts";

const log = new Logger("nats");
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Connects to the NATS servers at `urls` (one is enough; the client learns the rest of a NATS
 * cluster from it) and keeps reconnecting for as long as the bus is open. Rejects when none
 * answers at first.
 */
export async function connectNatsBus(urls: readonly string[]): Promise<ClusterBus> {
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: urls.map((url) => url.replace(/^nats:\/\//, "")),
      name: "flnet-signal",
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      reconnectJitter: 100,
      pingInterval: 10_000,
    });
  } catch (error) {
    throw new Error(
      `cannot reach NATS at ${urls.join(", ")}: ${(error as Error).message}; ` +
        "is nats-server running there?",
    );
  }
  let connected = true;
  const requests = new InboxRequests(nc);
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === "disconnect") {
        connected = false;
        log.warn(`lost NATS ${status.server}; reconnecting`);
      } else if (status.type === "reconnect") {
        connected = true;
        log.warn(`NATS reconnected to ${status.server}`);
      }
    }
  })();
  return {
    publish(subject, data) {
      try {
        nc.publish(subject, encoder.encode(data));
      } catch (error) {
        log.debug(`publishing on ${subject} failed`, error);
      }
    },
    subscribe(subject, handler) {
      return nc.subscribe(subject, {
        callback: (error, msg) => {
          if (error) return log.debug(`the subscription to ${subject} failed`, error);
          handler(decoder.decode(msg.data), (reply) => {
            if (msg.reply) msg.respond(encoder.encode(reply));
          });
        },
      });
    },
    request: (subject, data, timeoutMs) => requests.request(subject, data, timeoutMs),
    async flush(timeoutMs) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        nc.flush().catch(() => {}),
        new Promise((resolve) => timer = setTimeout(resolve, timeoutMs)),
      ]);
      clearTimeout(timer);
    },
    get connected() {
      return connected && !nc.isClosed();
    },
    get server() {
      return nc.getServer();
    },
    async close() {
      requests.close();
      await nc.drain().catch(() => nc.close());
    },
  };
}

/**
 * Requests over one inbox subscription, with one timer for all of them: the client's own
 * `request` makes two Error objects (with stack traces) and a timer per call, which cost more
 * than the relay they carry. A reply subject nobody listens on comes back as a status 503
 * message ("no responders") on the inbox.
 */
class InboxRequests {
  readonly #nc: NatsConnection;
  readonly #prefix = `_INBOX.flnet.${crypto.randomUUID().replaceAll("-", "")}`;
  readonly #pending = new Map<
    string,
    { subject: string; deadline: number; resolve(reply: string): void; reject(error: Error): void }
  >();
  readonly #sweeper: ReturnType<typeof setInterval>;
  #next = 0;

  constructor(nc: NatsConnection) {
    this.#nc = nc;
    nc.subscribe(`${this.#prefix}.*`, {
      callback: (error, msg) => {
        if (error) return log.debug("the reply subscription failed", error);
        const token = msg.subject.slice(this.#prefix.length + 1);
        const request = this.#pending.get(token);
        if (!request) return; // answered after its deadline
        this.#pending.delete(token);
        if (msg.headers?.code === 503) request.reject(new NoRespondersError(request.subject));
        else request.resolve(decoder.decode(msg.data));
      },
    });
    this.#sweeper = setInterval(() => this.#expire(), 100);
  }

  request(subject: string, data: string, timeoutMs: number): Promise<string> {
    const token = (this.#next++).toString(36);
    return new Promise((resolve, reject) => {
      this.#pending.set(token, { subject, deadline: Date.now() + timeoutMs, resolve, reject });
      try {
        this.#nc.publish(subject, encoder.encode(data), { reply: `${this.#prefix}.${token}` });
      } catch (error) {
        this.#pending.delete(token);
        reject(error as Error);
      }
    });
  }

  close(): void {
    clearInterval(this.#sweeper);
    for (const request of this.#pending.values()) request.reject(new Error("the bus closed"));
    this.#pending.clear();
  }

  #expire(): void {
    const now = Date.now();
    for (const [token, request] of this.#pending) {
      if (request.deadline > now) continue;
      this.#pending.delete(token);
      request.reject(new Error(`no answer on ${request.subject} in time`));
    }
  }
}
