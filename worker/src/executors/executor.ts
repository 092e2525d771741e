import type { Dossier, Logger, OrderName, OrderResult } from "@moneypenny/shared";

/** The outcome for one dossier of an order. */
export type DossierOutcome =
  | { username: string; ok: true; result: OrderResult }
  | { username: string; ok: false; permanent: boolean; message: string };

export interface ExecutionContext {
  /** Aborted when the worker gives up on the job (shutdown deadline, cancellation). */
  signal: AbortSignal;
  /** The queue job, for labels and logs. */
  jobId: string;
  log: Logger;
}

/**
 * Runs an order somewhere: in this process (`local`) or in the cluster
 * (`kubernetes`, later). It takes several dossiers at once so that a burst of
 * new users can share one run, and answers one outcome per dossier, in order.
 * Every order is idempotent, so running it again after a crash is safe.
 */
export interface Executor {
  readonly kind: string;
  run(order: OrderName, dossiers: readonly Dossier[], context: ExecutionContext): Promise<DossierOutcome[]>;
  /**
   * Called once the outcomes of `run` are recorded, successful or not: frees
   * what the run left for a resumed attempt to find (a Kubernetes Job).
   */
  cleanUp?(order: OrderName, dossiers: readonly Dossier[]): Promise<void>;
  /** Why the executor cannot run orders now (for /readyz), or undefined when it can. */
  ready?(): Promise<string | undefined>;
  close(): Promise<void>;
}
