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

import { connect, type NatsConnection, RequestError } from "@nats-io/transport-node";
import { Logger } from "../../core/log.ts";
import { type ClusterBus, NoRespondersError } from "../../signal/cluster.ts";

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
    async request(subject, data, timeoutMs) {
      try {
        const reply = await nc.request(subject, encoder.encode(data), { timeout: timeoutMs });
        return decoder.decode(reply.data);
      } catch (error) {
        if (error instanceof RequestError && error.isNoResponders()) {
          throw new NoRespondersError(subject);
        }
        throw error;
      }
    },
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
      await nc.drain().catch(() => nc.close());
    },
  };
}
