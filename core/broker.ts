/**
 * The broker: every flnet module is a `Broker<In, Out>`, and modules are plugged together by
 * linking brokers with translator functions. One FIFO queue per broker; `await emitIn(msg)`
 * resolves once everything the message reached (here and in linked brokers) has run;
 * `settle()` waits until every linked broker is idle; a subsystem that throws is reported to
 * `onError` listeners (or logged) and does not stop the broker. docs/broker.md has the order,
 * waiting and error rules in full.
 *
 * @example
 * ```ts
 * import { Broker } from "./broker.ts";
 * type In = { double: number };
 * type Out = { result: number };
 * const doubler = new Broker<In, Out>("doubler");
 * doubler.addHandler({ messages: (batch) => batch.map((m) => ({ result: m.double * 2 })) });
 * doubler.tapOut((out) => console.log(out.result));
 * await doubler.emitIn({ double: 21 }); // prints 42 before the promise resolves
 * ```
 * @module
 */

import { BrokerChannel } from "./broker_channel.ts";
import {
  BrokerClosedError,
  type BrokerErrorReport,
  type Direction,
  type Handler,
  type Subscription,
  type Tap,
  type Translator,
} from "./broker_types.ts";

export { BrokerChannel } from "./broker_channel.ts";
export * from "./broker_types.ts";
import { Logger } from "./log.ts";
import {
  both,
  Completion,
  deliverReport,
  type Entry,
  type ErrorListenerSub,
  type HandlerSub,
  isPromiseLike,
  LinkGraph,
  onTrail,
  SubscriptionList,
  type TapSub,
  type Trail,
} from "./broker_parts.ts";

interface TranslatorSub {
  removed: boolean;
  readonly fn: Translator<unknown, unknown>;
  readonly target: Broker<unknown, unknown>;
  readonly targetDir: Direction;
}

// While a subsystem's synchronous code runs, emits join the message being processed.
// (Set and restored inline around subsystem calls: a closure per call would cost throughput.)
let callbackDepth = 0;
let callbackCompletion: Completion | undefined;

const RESOLVED = Promise.resolve();
/** The links between all brokers. */
const graph = new LinkGraph<Broker<unknown, unknown>>();
let nextBrokerId = 1;
const log = new Logger("broker");

/**
 * A message broker with typed inputs and outputs. See the module documentation for ordering,
 * waiting and error semantics.
 *
 * @typeParam In the messages the broker accepts.
 * @typeParam Out the messages it produces.
 */
export class Broker<In, Out> {
  /** A process-unique number, used to detect forwarding loops. */
  readonly id: number = nextBrokerId++;
  #queue: Entry[] = [];
  #running: Promise<void> | undefined;
  #closed = false;
  readonly #translators = {
    in: new SubscriptionList<TranslatorSub>(),
    out: new SubscriptionList<TranslatorSub>(),
  };
  readonly #taps = { in: new SubscriptionList<TapSub>(), out: new SubscriptionList<TapSub>() };
  readonly #handlers = new SubscriptionList<HandlerSub>();
  readonly #errorListeners = new SubscriptionList<ErrorListenerSub>();

  /** Creates an idle broker with no subsystems.
   * @param name shown in logs and error reports. */
  constructor(readonly name: string = "broker") {}

  /** Queues an input and resolves once it and everything it caused have been processed. */
  emitIn(msg: In): Promise<void> {
    return this.#emit("in", msg);
  }

  /** Queues an output and resolves once it and everything it caused have been processed. */
  emitOut(msg: Out): Promise<void> {
    return this.#emit("out", msg);
  }

  /**
   * Queues an input without waiting: it is processed on the next microtask, or earlier by
   * {@link process} or {@link settle}. The cheap way to feed a broker from an event callback.
   */
  enqueueIn(msg: In): void {
    this.#accept("in", msg);
  }

  /** Queues an output without waiting; see {@link enqueueIn}. */
  enqueueOut(msg: Out): void {
    this.#accept("out", msg);
  }

  /** Processes this broker's queue and resolves when it is empty and the broker is idle. */
  async process(): Promise<void> {
    this.#refuseInsideSubsystem("process");
    if (this.#queue.length > 0) this.#schedule();
    while (this.#running) await this.#running;
  }

  /**
   * Resolves when this broker and every broker linked to it (directly or through others)
   * are idle with empty queues.
   */
  async settle(): Promise<void> {
    this.#refuseInsideSubsystem("settle");
    for (;;) {
      const busy: Promise<void>[] = [];
      for (const broker of graph.component(this as Broker<unknown, unknown>)) {
        if (broker.#queue.length > 0) broker.#schedule();
        if (broker.#running) busy.push(broker.#running);
      }
      if (busy.length === 0) return;
      await Promise.all(busy);
    }
  }

  /** Calls `tap` with every input, after the translators. */
  tapIn(tap: Tap<In>): Subscription {
    return this.#addTap("in", tap as Tap<unknown>);
  }

  /** Calls `tap` with every output, after the translators. */
  tapOut(tap: Tap<Out>): Subscription {
    return this.#addTap("out", tap as Tap<unknown>);
  }

  /** An async-iterable channel of every input from now on; see {@link BrokerChannel}. */
  channelIn(): BrokerChannel<In> {
    return this.#addChannel<In>("in");
  }

  /** An async-iterable channel of every output from now on; see {@link BrokerChannel}. */
  channelOut(): BrokerChannel<Out> {
    return this.#addChannel<Out>("out");
  }

  /** Adds a handler that gets batches of inputs and returns outputs. */
  addHandler(handler: Handler<In, Out>): Subscription {
    return this.#handlers.add({ removed: false, handler: handler as Handler<unknown, unknown> });
  }

  /** Calls `listener` for every subsystem failure; without listeners failures are logged. */
  onError(listener: (report: BrokerErrorReport<In, Out>) => void): Subscription {
    const fn = listener as (report: BrokerErrorReport) => void;
    return this.#errorListeners.add({ removed: false, fn });
  }

  /** Forwards this broker's outputs, translated, as inputs of `target`. */
  linkOutToIn<TIn, TOut>(target: Broker<TIn, TOut>, translate: Translator<Out, TIn>): Subscription {
    return this.#addTranslator("out", target, "in", translate);
  }

  /** Forwards this broker's outputs, translated, as outputs of `target`. */
  linkOutToOut<TIn, TOut>(
    target: Broker<TIn, TOut>,
    translate: Translator<Out, TOut>,
  ): Subscription {
    return this.#addTranslator("out", target, "out", translate);
  }

  /** Forwards this broker's inputs, translated, as inputs of `target`. */
  linkInToIn<TIn, TOut>(target: Broker<TIn, TOut>, translate: Translator<In, TIn>): Subscription {
    return this.#addTranslator("in", target, "in", translate);
  }

  /** Forwards this broker's inputs, translated, as outputs of `target`. */
  linkInToOut<TIn, TOut>(target: Broker<TIn, TOut>, translate: Translator<In, TOut>): Subscription {
    return this.#addTranslator("in", target, "out", translate);
  }

  /**
   * The chain form: puts this broker on top of `lower`. This broker's outputs become inputs
   * of `lower` (`down`), and `lower`'s outputs become inputs of this broker (`up`).
   */
  linkChain<LIn, LOut>(
    lower: Broker<LIn, LOut>,
    down: Translator<Out, LIn>,
    up: Translator<LOut, In>,
  ): Subscription {
    return both(this.linkOutToIn(lower, down), lower.linkOutToIn(this, up));
  }

  /**
   * The facade form: this broker fronts `inner`. Inputs of this broker are passed into
   * `inner` (`inward`), and `inner`'s outputs come out as outputs of this broker (`outward`).
   */
  linkFacade<IIn, IOut>(
    inner: Broker<IIn, IOut>,
    inward: Translator<In, IIn>,
    outward: Translator<IOut, Out>,
  ): Subscription {
    return both(this.linkInToIn(inner, inward), inner.linkOutToOut(this, outward));
  }

  /**
   * Processes what is queued, then removes every subsystem and link. Emitting afterwards
   * throws a {@link BrokerClosedError}.
   */
  async close(): Promise<void> {
    await this.process();
    this.#closed = true;
    const self = this as Broker<unknown, unknown>;
    for (const dir of ["in", "out"] as const) {
      this.#translators[dir].clear((sub) => graph.count(self, sub.target, -1));
      this.#taps[dir].clear();
    }
    this.#handlers.clear();
    for (const other of graph.neighbours(self)) other.#dropTranslatorsTo(self);
    this.#errorListeners.clear();
  }

  /** True once {@link close} has begun. */
  get closed(): boolean {
    return this.#closed;
  }

  #emit(dir: Direction, msg: unknown): Promise<void> {
    if (callbackDepth > 0) {
      this.#accept(dir, msg);
      return RESOLVED;
    }
    this.#refuseWhenClosed();
    const completion = new Completion();
    this.#push({ dir, msg, trail: undefined, completion });
    return completion.promise;
  }

  #accept(dir: Direction, msg: unknown): void {
    this.#refuseWhenClosed();
    const completion = callbackDepth > 0 ? callbackCompletion : undefined;
    if (completion) completion.pending++;
    this.#push({ dir, msg, trail: undefined, completion });
  }

  #push(entry: Entry): void {
    this.#queue.push(entry);
    this.#schedule();
  }

  #schedule(): void {
    if (!this.#running) this.#running = this.#run();
  }

  #refuseWhenClosed(): void {
    if (this.#closed) throw new BrokerClosedError(this.name);
  }

  #refuseInsideSubsystem(what: string): void {
    if (callbackDepth > 0) {
      throw new Error(
        `${what}() was called from inside a broker subsystem and would wait for itself; ` +
          `return outputs or emit without awaiting instead`,
      );
    }
  }

  async #run(): Promise<void> {
    // Start on a fresh microtask: a chain of brokers never nests on the call stack.
    await undefined;
    try {
      while (this.#queue.length > 0) {
        const entries = this.#queue;
        this.#queue = [];
        let i = 0;
        while (i < entries.length) {
          const first = entries[i];
          let end = i + 1;
          if (first.dir === "in") {
            while (
              end < entries.length && entries[end].dir === "in" &&
              entries[end].completion === first.completion
            ) end++;
          }
          for (let k = i; k < end; k++) {
            const delivering = this.#deliver(entries[k]);
            if (delivering) await delivering;
          }
          if (first.dir === "in" && this.#handlers.items.length > 0) {
            const handling = this.#handle(entries.slice(i, end));
            if (handling) await handling;
          }
          for (let k = i; k < end; k++) entries[k].completion?.done();
          i = end;
        }
      }
    } finally {
      this.#running = undefined;
    }
  }

  /** Runs translators, taps and channels for one message; a promise only if a tap is async. */
  #deliver(entry: Entry): Promise<void> | undefined {
    const saved = callbackCompletion;
    callbackDepth++;
    callbackCompletion = entry.completion;
    let pending: Promise<void>[] | undefined;
    try {
      for (const sub of this.#translators[entry.dir].items) {
        if (sub.removed) continue;
        let translated: unknown;
        try {
          translated = sub.fn(entry.msg);
        } catch (error) {
          this.#report("translator", entry.dir, [entry.msg], error);
          continue;
        }
        if (translated !== undefined) {
          sub.target.#receive(sub.targetDir, translated, entry, this.id);
        }
      }
      for (const sub of this.#taps[entry.dir].items) {
        if (sub.removed) continue;
        try {
          const result = sub.fn(entry.msg);
          if (isPromiseLike(result)) {
            (pending ??= []).push(
              Promise.resolve(result).then(
                () => {},
                (error) => this.#report("tap", entry.dir, [entry.msg], error),
              ),
            );
          }
        } catch (error) {
          this.#report("tap", entry.dir, [entry.msg], error);
        }
      }
    } finally {
      callbackDepth--;
      callbackCompletion = saved;
    }
    return pending && Promise.all(pending).then(() => {});
  }

  /** Gives a batch of inputs to every handler in turn; a promise only if one is async. */
  #handle(batch: Entry[], from = 0): Promise<void> | undefined {
    const messages = batch.map((entry) => entry.msg);
    const completion = batch[0].completion;
    const handlers = this.#handlers.items;
    for (let k = from; k < handlers.length; k++) {
      const sub = handlers[k];
      if (sub.removed) continue;
      let result: unknown;
      const saved = callbackCompletion;
      callbackDepth++;
      callbackCompletion = completion;
      try {
        result = sub.handler.messages(messages);
      } catch (error) {
        this.#report("handler", "in", messages, error);
        continue;
      } finally {
        callbackDepth--;
        callbackCompletion = saved;
      }
      if (isPromiseLike(result)) {
        return Promise.resolve(result).then(
          (outputs) => this.#queueOutputs(outputs, messages, completion),
          (error) => this.#report("handler", "in", messages, error),
        ).then(() => this.#handle(batch, k + 1));
      }
      this.#queueOutputs(result, messages, completion);
    }
    return undefined;
  }

  #queueOutputs(outputs: unknown, inputs: unknown[], completion: Completion | undefined): void {
    if (!Array.isArray(outputs)) {
      const error = new TypeError(
        `a handler must return an array of outputs (or a promise of one), got ${typeof outputs}`,
      );
      this.#report("handler", "in", inputs, error);
      return;
    }
    for (const msg of outputs) {
      if (completion) completion.pending++;
      this.#queue.push({ dir: "out", msg, trail: undefined, completion });
    }
    if (outputs.length > 0) this.#schedule();
  }

  /** Takes a message forwarded by the broker `fromId`, unless it would go around a loop. */
  #receive(dir: Direction, msg: unknown, from: Entry, fromId: number): void {
    const trail: Trail = { id: fromId, previous: from.trail };
    if (onTrail(trail, this.id)) {
      if (log.enabled("trace")) {
        log.trace(`"${this.name}": stopped a message that came around a loop`, msg);
      }
      return;
    }
    if (from.completion) from.completion.pending++;
    this.#push({ dir, msg, trail, completion: from.completion });
  }

  #report(
    kind: BrokerErrorReport["kind"],
    direction: Direction,
    messages: unknown[],
    error: unknown,
  ): void {
    const report = { broker: this.name, kind, direction, messages, error };
    deliverReport(this.#errorListeners.items, report, log);
  }

  #addTap(dir: Direction, fn: Tap<unknown>): Subscription {
    return this.#taps[dir].add({ removed: false, fn });
  }

  #addChannel<T>(dir: Direction): BrokerChannel<T> {
    let subscription: Subscription | undefined = undefined;
    const channel = new BrokerChannel<T>(() => subscription?.remove());
    subscription = this.#addTap(dir, (msg) => channel.push(msg as T));
    return channel;
  }

  #addTranslator(
    dir: Direction,
    target: unknown,
    targetDir: Direction,
    fn: unknown,
  ): Subscription {
    this.#refuseWhenClosed();
    const self = this as Broker<unknown, unknown>;
    const other = target as Broker<unknown, unknown>;
    other.#refuseWhenClosed();
    graph.count(self, other, +1);
    const sub: TranslatorSub = {
      removed: false,
      fn: fn as Translator<unknown, unknown>,
      target: other,
      targetDir,
    };
    return this.#translators[dir].add(sub, () => graph.count(self, other, -1));
  }

  #dropTranslatorsTo(target: Broker<unknown, unknown>): void {
    const self = this as Broker<unknown, unknown>;
    for (const dir of ["in", "out"] as const) {
      for (const sub of this.#translators[dir].items) {
        if (sub.target === target) {
          this.#translators[dir].remove(sub, () => graph.count(self, target, -1));
        }
      }
    }
  }
}
