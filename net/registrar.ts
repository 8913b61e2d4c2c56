/**
 * The one place where a network's messages meet their modules: a module name maps to one
 * handler, and registering a name returns the `send` for it. The network hands every message it
 * receives to {@link Registrar.deliver}, which looks its module name up: the handler gets it, or,
 * when nobody registered that name, the sender is told (`unknown-module`) and nobody else hears
 * it. Every send is tracked here and nowhere else: the network reports each one's outcome to
 * {@link Registrar.sent} or {@link Registrar.failed}, which settle it.
 *
 * `Network` (net/api.ts) registers `""` for its `send`/`recv`/`for await`, and its `on` (and a
 * `Node`'s) registers any other name; the modules of a node (gossip, ping) register theirs
 * through `linkModule`.
 *
 * @example A module that answers "pong"
 * ```ts
 * import type { NetworkBroker } from "./network.ts";
 * function pong(network: NetworkBroker) {
 *   const registration = network.registrar.register("pong", (message) => {
 *     registration.send(message.from, "pong").catch((error) => console.log(error.message));
 *   });
 *   return registration; // remove() frees the name
 * }
 * ```
 * @module
 */

import { type NodeID, U256 } from "../core/ids.ts";
import { Logger, ThrottledWarning } from "../core/log.ts";
import type { RefusalCode } from "./control.ts";
import { NetworkError, type NetworkErrorCode } from "./errors.ts";
import type { NetworkMessage } from "./inbox.ts";
import type { NetworkIn } from "./network.ts";

/** A handler's answer that refuses the message: the sender hears the code and the text. */
export interface MessageRefusal {
  /** Why, for programs. */
  code: RefusalCode;
  /** Why, for people (at most 300 characters travel). */
  message: string;
}

/** Takes the messages of one module name; returning a refusal tells the sender it was not taken. */
export type ModuleHandler = (message: NetworkMessage) => void | MessageRefusal;

/** Options of one send. */
export interface SendOptions {
  /**
   * Connect on demand (true, the default), or send only over an open connection (false: the
   * send fails with `not-connected` otherwise).
   */
  connect?: boolean;
}

/** A module name held by one handler, and the way to send under it. */
export interface Registration {
  /** The module name. */
  readonly name: string;
  /**
   * Sends `data` to the node `to`'s module of the same name, connecting first unless
   * `options.connect` is false. Resolves once the message is handed to the data channel;
   * rejects with a {@link NetworkError} saying why it could not be.
   */
  send(to: NodeID | string, data: string | Uint8Array, options?: SendOptions): Promise<void>;
  /**
   * The network input that sends `data` to `to`, tracked like {@link send}: for a broker linked
   * to the network, whose outputs become the network's inputs. `failed` hears why it was not
   * delivered.
   */
  request(
    to: NodeID,
    data: string | Uint8Array,
    options: SendOptions,
    failed: (error: NetworkError) => void,
  ): NetworkIn;
  /** Frees the name: its messages are refused from now on. Its sends still settle. */
  remove(): void;
}

/** A send waiting for the network's word. */
interface PendingSend {
  resolve(): void;
  reject(error: NetworkError): void;
}

const log = new Logger("network");

/** One network's module names and sends; see the module documentation. */
export class Registrar {
  readonly #handlers = new Map<string, ModuleHandler>();
  readonly #pending = new Map<number, PendingSend>();
  readonly #enqueue: (msg: NetworkIn) => void;
  #lastId = 0;
  readonly #unknown = new ThrottledWarning(log);
  readonly #thrown = new ThrottledWarning(log);

  /** A registrar whose sends and refusals go to the network through `enqueue`. */
  constructor(enqueue: (msg: NetworkIn) => void) {
    this.#enqueue = enqueue;
  }

  /**
   * Gives `name` to `handler`. Throws a TypeError when the name is not a module name (empty
   * names are `Network`'s own; names starting with U+0000 are flnet's control messages) or when
   * another handler holds it.
   */
  register(name: string, handler: ModuleHandler): Registration {
    if (typeof name !== "string" || name.startsWith("\u0000")) {
      throw new TypeError(
        "a module name is a string; names starting with U+0000 are flnet's own control " +
          "messages: pick another name",
      );
    }
    if (this.#handlers.has(name)) {
      throw new TypeError(
        `the module name "${name}" is taken on this node (flnet's own modules use gossip and ` +
          "ping); pick another name, or remove the other registration first",
      );
    }
    this.#handlers.set(name, handler);
    let removed = false;
    const request: Registration["request"] = (to, data, options, failed) => {
      const id = this.#track({ resolve: () => {}, reject: failed });
      return { type: "send", to, data, module: name, id, connect: options.connect ?? true };
    };
    return {
      name,
      request,
      send: (to, data, options = {}) => {
        const target = nodeId(to);
        if (target instanceof NetworkError) return Promise.reject(target);
        return new Promise((resolve, reject) => {
          const id = this.#track({ resolve, reject });
          this.#enqueue({
            type: "send",
            to: target,
            data,
            module: name,
            id,
            connect: options.connect ?? true,
          });
        });
      },
      remove: () => {
        if (removed) return;
        removed = true;
        if (this.#handlers.get(name) === handler) this.#handlers.delete(name);
      },
    };
  }

  /**
   * A message from `from` for `module`: its handler gets it. `ref` names it on its connection,
   * for a refusal (the handler's, or `unknown-module` when nobody holds the name).
   */
  deliver(from: NodeID, module: string, data: string | Uint8Array, ref?: number): void {
    const handler = this.#handlers.get(module);
    let refusal: MessageRefusal | void;
    try {
      refusal = handler
        ? handler({ from, module, data })
        : { code: "unknown-module", message: `no module "${module}" runs there` };
    } catch (error) {
      // the handler's own bug: said here, and the connection reads on
      this.#thrown.warn(`the handler of module "${module}" threw: ${(error as Error).message}`);
      return;
    }
    if (!refusal) return;
    if (!handler) {
      this.#unknown.warn(
        `refused a message from node ${U256.short(from)} for module "${module.slice(0, 40)}", ` +
          "which this node does not run",
      );
    }
    if (ref === undefined) return;
    this.#enqueue({ type: "refuse", to: from, ref, code: refusal.code, message: refusal.message });
  }

  /** The send `id` was handed to the data channel. */
  sent(id: number): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    pending.resolve();
  }

  /**
   * The send `id` failed: its promise rejects, or its `failed` hears it. False when no send
   * waits under that id (a refusal that came after the send had resolved): the network reports
   * it as an error of its own then.
   */
  failed(id: number, code: NetworkErrorCode, message: string, to?: NodeID): boolean {
    const pending = this.#pending.get(id);
    if (!pending) return false;
    this.#pending.delete(id);
    pending.reject(new NetworkError(code, message, to));
    return true;
  }

  /** Fails every send still waiting with `error` (the network closed). */
  failAll(error: NetworkError): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const send of pending) send.reject(error);
  }

  #track(send: PendingSend): number {
    const id = ++this.#lastId;
    this.#pending.set(id, send);
    return id;
  }
}

/** `to` as a node id, or the error that says why it is not one. */
function nodeId(to: NodeID | string): NodeID | NetworkError {
  try {
    return U256.fromHex(to);
  } catch (error) {
    return new NetworkError(
      "bad-node-id",
      `cannot send to "${String(to).slice(0, 80)}": a node id is 64 hex characters (the ` +
        `node's public key, as net.id shows it); ${
          (error as Error).message.replace("a U256", "this one")
        }`,
    );
  }
}
