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

import {
  connect,
  credsAuthenticator,
  type NatsConnection,
  nkeyAuthenticator,
  type NodeConnectionOptions,
} from "@nats-io/transport-node";
import { readFile } from "node:fs/promises";
import { Logger } from "../../core/log.ts";
import { type ClusterBus, type NatsAuth, NoRespondersError } from "../../signal/cluster_options.ts";

const log = new Logger("nats");
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Connects to the NATS servers at `urls` (one is enough; the client learns the rest of a NATS
 * cluster from it) with `auth`, and keeps reconnecting for as long as the bus is open. Rejects
 * when none answers at first, or refuses the credentials; the error names neither secret.
 */
export async function connectNatsBus(
  urls: readonly string[],
  auth: NatsAuth = {},
): Promise<ClusterBus> {
  const { options, secrets } = await authOptions(urls, auth);
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: urls.map((url) => url.replace(/^(nats|tls):\/\//, "")),
      name: "flnet-signal",
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      reconnectJitter: 100,
      pingInterval: 10_000,
      ...options,
    });
  } catch (error) {
    let message = (error as Error).message;
    for (const secret of secrets) message = message.replaceAll(secret, "***");
    const refused = /authori[sz]ation|authentication|permission/i.test(message);
    throw new Error(
      `cannot ${refused ? "join" : "reach"} NATS at ${urls.join(", ")}: ${message}; ` +
        (refused
          ? "are the credentials (--nats-user and --nats-password-file, --nats-token-file, " +
            "--nats-nkey-file or --nats-creds-file) the ones NATS expects?"
          : "is nats-server running there (and, for tls://, is --nats-ca-file its CA)?"),
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

/** The connect options `auth` asks for, and the secrets read (to keep out of messages). */
async function authOptions(
  urls: readonly string[],
  auth: NatsAuth,
): Promise<{ options: Partial<NodeConnectionOptions>; secrets: string[] }> {
  const read = (what: string, file: string) =>
    readFile(file, "utf8").then((text) => text.trim(), (error) => {
      throw new Error(`cannot read the NATS ${what} from ${file}: ${error.message}`);
    });
  const options: Partial<NodeConnectionOptions> = {};
  const secrets: string[] = [];
  if (auth.passwordFile !== undefined) {
    const pass = await read("password", auth.passwordFile);
    Object.assign(options, { user: auth.user, pass });
    secrets.push(pass);
  } else if (auth.tokenFile !== undefined) {
    const token = await read("token", auth.tokenFile);
    options.token = token;
    secrets.push(token);
  } else if (auth.nkeySeedFile !== undefined) {
    const seed = await read("NKey seed", auth.nkeySeedFile);
    options.authenticator = nkeyAuthenticator(new TextEncoder().encode(seed));
    secrets.push(seed);
  } else if (auth.credsFile !== undefined) {
    const creds = await read("credentials", auth.credsFile);
    options.authenticator = credsAuthenticator(new TextEncoder().encode(creds));
    secrets.push(...creds.split("\n").map((line) => line.trim()).filter((l) => l.length > 20));
  }
  if (auth.caFile || auth.certFile || urls.some((url) => url.startsWith("tls://"))) {
    options.tls = {
      ...(auth.caFile ? { caFile: auth.caFile } : {}),
      ...(auth.certFile ? { certFile: auth.certFile, keyFile: auth.keyFile } : {}),
    };
  }
  return { options, secrets: secrets.filter((secret) => secret.length > 0) };
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
