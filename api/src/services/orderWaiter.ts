import { EventEmitter } from "node:events";
import type { Redis } from "ioredis";
import { isInProgress, parseUserEvent, type Logger, type UserRecordStore } from "@moneypenny/shared";

/** `unknown`: there was no record to wait on (never commissioned, or already retired). */
export type WaitOutcome = "settled" | "unknown" | "timeout" | "closed" | "aborted";

/** Wakes a waiter whenever something may have changed for its user. */
class Wakeup {
  #pending = false;
  #resolve: (() => void) | undefined;

  notify(): void {
    this.#pending = true;
    this.#resolve?.();
  }

  next(): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#resolve = () => {
        this.#pending = false;
        this.#resolve = undefined;
        resolve();
      };
    });
  }
}

/**
 * Long polls on user records without polling: one Redis subscription to the
 * store's event channel fans out to every waiting request. A waiter re-reads
 * the record whenever its user's status changes, and after the subscription
 * reconnects (an event may have been missed while it was down).
 */
export class OrderWaiter {
  readonly #wakeups = new Map<string, Set<Wakeup>>();
  #closed = false;
  readonly #closing = new AbortController();
  /** Emits `blocked` (username) each time a long poll goes to sleep until an event. */
  readonly events = new EventEmitter();

  private constructor(
    private readonly subscriber: Redis,
    private readonly store: UserRecordStore,
  ) {}

  static start(subscriber: Redis, store: UserRecordStore, log: Logger): OrderWaiter {
    const waiter = new OrderWaiter(subscriber, store);
    subscriber.on("message", (_channel: string, message: string) => {
      const event = parseUserEvent(message);
      if (event !== undefined) waiter.#wake(event.username);
    });
    let connectedBefore = false;
    subscriber.on("ready", () => {
      if (connectedBefore) {
        log.info("event subscription reconnected; re-checking every waiting request");
        for (const username of waiter.#wakeups.keys()) waiter.#wake(username);
      }
      connectedBefore = true;
    });
    // Not awaited: the API must start, and answer 503, while Redis is away;
    // ioredis subscribes as soon as it connects.
    subscriber.subscribe(store.eventsChannel).catch((error: unknown) => log.error({ err: error }, "cannot subscribe to user events"));
    return waiter;
  }

  /** Resolves once the user has no order in progress, or at the time-out. */
  async waitUntilSettled(username: string, timeoutMs: number, signal?: AbortSignal): Promise<WaitOutcome> {
    if (this.#closed) return "closed";
    const wakeup = new Wakeup();
    const set = this.#wakeups.get(username) ?? new Set();
    set.add(wakeup);
    this.#wakeups.set(username, set);

    let timer: NodeJS.Timeout | undefined;
    let onClose = () => {};
    let onAbort = () => {};
    const stop = new Promise<WaitOutcome>((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
      onClose = () => resolve("closed");
      onAbort = () => resolve("aborted");
      this.#closing.signal.addEventListener("abort", onClose);
      signal?.addEventListener("abort", onAbort);
    });
    try {
      for (let first = true; ; first = false) {
        // Listening before reading: a change between the read and the wait still wakes us.
        const record = await this.store.get(username);
        if (record === undefined) return first ? "unknown" : "settled";
        if (!isInProgress(record.status)) return "settled";
        this.events.emit("blocked", username);
        const woke = await Promise.race([wakeup.next().then(() => undefined), stop]);
        if (woke !== undefined) return woke;
      }
    } finally {
      clearTimeout(timer);
      this.#closing.signal.removeEventListener("abort", onClose);
      signal?.removeEventListener("abort", onAbort);
      set.delete(wakeup);
      if (set.size === 0) this.#wakeups.delete(username);
    }
  }

  #wake(username: string): void {
    for (const wakeup of this.#wakeups.get(username) ?? []) wakeup.notify();
  }

  /** Answers every pending wait ("closed") and drops the subscription. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#closing.abort();
    await this.subscriber.quit().catch(() => undefined);
  }
}
