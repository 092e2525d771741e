import type { Dossier, IdentityRules, KubernetesSettings, Logger, OrderName, OrderResult } from "@moneypenny/shared";
import type { DossierOutcome, ExecutionContext, Executor } from "../executor.js";
import { orderJobName, renderOrderManifests } from "./jobManifest.js";
import { connectKubernetes, type KubernetesApi } from "./kubernetesApi.js";
import { KubernetesFailure, kubernetesFailure } from "./kubernetesFailure.js";
import { loadOrders, type Orders } from "./orders.js";
import { OrderJobRunner, type JobResult } from "./orderJobRunner.js";
import { OrphanSweeper } from "./orphanSweeper.js";
import type { WorkerMetrics } from "../../workerMetrics.js";

/**
 * Runs each order as a Kubernetes Job, so that the worker itself needs neither
 * root nor the homes volume. Several dossiers run as several Jobs, side by side.
 */
export class KubernetesExecutor implements Executor {
  readonly kind = "kubernetes";
  readonly #runner: OrderJobRunner;
  readonly #sweeper: OrphanSweeper;

  private constructor(
    private readonly api: KubernetesApi,
    private readonly orders: Orders,
    private readonly settings: KubernetesSettings,
    log: Logger,
    private readonly metrics: WorkerMetrics | undefined,
  ) {
    this.#runner = new OrderJobRunner(api, settings);
    this.#sweeper = new OrphanSweeper(api, settings.orphanAgeMs, log);
  }

  /** Checks the orders and the cluster configuration; a problem stops the worker at start-up. */
  static async create(settings: KubernetesSettings, identity: IdentityRules, homeMode: number, log: Logger, metrics?: WorkerMetrics): Promise<KubernetesExecutor> {
    const orders = await loadOrders(settings, identity, homeMode);
    for (const order of ["commission", "retire"] as const) {
      for (const container of orders[order]) {
        if ((container.securityContext as { privileged?: unknown } | undefined)?.privileged === true) {
          log.warn({ order, container: container.name, image: container.image }, "an order runs a privileged container, as its orders file asks");
        }
      }
    }
    const executor = new KubernetesExecutor(connectKubernetes(settings), orders, settings, log, metrics);
    executor.#sweeper.start(settings.orphanSweepMs);
    log.info({ namespace: executor.api.namespace, ordersFile: settings.ordersFile ?? "(default orders)" }, "kubernetes executor ready");
    return executor;
  }

  run(order: OrderName, dossiers: readonly Dossier[], context: ExecutionContext): Promise<DossierOutcome[]> {
    return Promise.all(dossiers.map((dossier) => this.#runOne(order, dossier, context)));
  }

  async #runOne(order: OrderName, dossier: Dossier, context: ExecutionContext): Promise<DossierOutcome> {
    if (this.orders[order].length === 0) {
      return { username: dossier.username, ok: true, result: { username: dossier.username, action: "nothing", message: `the ${order} order is empty; nothing to run`, warnings: [] } };
    }
    const manifests = renderOrderManifests(order, dossier, this.orders, { ...this.settings, namespace: this.api.namespace }, context.jobId);
    const log = context.log.child({ k8sJob: manifests.job.metadata?.name });
    let result: JobResult;
    try {
      result = await this.#runner.run(manifests, context.signal, log);
    } catch (error) {
      if (error instanceof KubernetesFailure) {
        this.metrics?.kubernetesErrors.inc({ code: error.code === undefined ? "none" : String(error.code) });
        return { username: dossier.username, ok: false, permanent: error.permanent, message: error.message };
      }
      throw error;
    }
    if (!result.ok) return { username: dossier.username, ok: false, permanent: result.permanent, message: result.message };
    return { username: dossier.username, ok: true, result: orderResult(order, dossier, result.job, result.output) };
  }

  /** Once the outcome is recorded, the Job has served: delete it (the orphan sweep catches any left). */
  async cleanUp(order: OrderName, dossiers: readonly Dossier[]): Promise<void> {
    if (this.orders[order].length === 0) return;
    await Promise.all(dossiers.map((dossier) => this.#runner.delete(orderJobName(order, dossier))));
  }

  /** Ready when the API server answers a small read of this namespace's Jobs. */
  async ready(): Promise<string | undefined> {
    try {
      await this.api.batch.listNamespacedJob({ namespace: this.api.namespace, limit: 1 });
      return undefined;
    } catch (error) {
      return kubernetesFailure(error, "list Jobs").message;
    }
  }

  async close(): Promise<void> {
    this.#sweeper.stop();
  }
}

/**
 * The provisioner prints its result as one JSON line; other order images say
 * what they like, and then the result is that the Job completed.
 */
function orderResult(order: OrderName, dossier: Dossier, job: string, output: string): OrderResult {
  try {
    const answer = JSON.parse(output.split("\n").at(-1) ?? "") as { ok?: unknown; result?: OrderResult };
    if (answer.ok === true && answer.result !== undefined && answer.result.username === dossier.username) return answer.result;
  } catch {
    // not the provisioner's output
  }
  return { username: dossier.username, action: order === "commission" ? "commissioned" : "retired", message: `Job ${job} completed`, warnings: [] };
}
