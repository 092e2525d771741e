import type { Dossier, OrderName } from "@moneypenny/shared";
import type { DossierOutcome, ExecutionContext, Executor } from "@moneypenny/worker";

/** Wraps an executor, counting runs and optionally holding each one until released. */
export class ObservedExecutor implements Executor {
  readonly kind: string;
  readonly runs: { order: OrderName; usernames: string[] }[] = [];
  /** Set to fail the next runs with this outcome instead of running them. */
  failWith: { permanent: boolean; message: string; times: number } | undefined;
  #held = false;
  #releases: (() => void)[] = [];
  #started: ((value: void) => void)[] = [];

  constructor(private readonly inner: Executor) {
    this.kind = inner.kind;
  }

  /** From now on, runs wait for `release()`. */
  hold(): void {
    this.#held = true;
  }

  release(): void {
    this.#held = false;
    for (const release of this.#releases.splice(0)) release();
  }

  /** Resolves when the next run starts (or has started and is held). */
  nextStart(): Promise<void> {
    return new Promise((resolve) => this.#started.push(resolve));
  }

  async run(order: OrderName, dossiers: readonly Dossier[], context: ExecutionContext): Promise<DossierOutcome[]> {
    this.runs.push({ order, usernames: dossiers.map((d) => d.username) });
    for (const started of this.#started.splice(0)) started();
    if (this.#held) await new Promise<void>((resolve) => this.#releases.push(resolve));
    if (this.failWith !== undefined && this.failWith.times > 0) {
      this.failWith.times--;
      const { permanent, message } = this.failWith;
      return dossiers.map((d) => ({ username: d.username, ok: false, permanent, message }));
    }
    return this.inner.run(order, dossiers, context);
  }

  async cleanUp(order: OrderName, dossiers: readonly Dossier[]): Promise<void> {
    await this.inner.cleanUp?.(order, dossiers);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
