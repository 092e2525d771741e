import type { Dossier, OrderName } from "@moneypenny/shared";
import { requireDirectory } from "../provisioner/homePath.js";
import { provision } from "../provisioner/provision.js";
import { ProvisionError } from "../provisioner/provisionError.js";
import type { ProvisionerSettings } from "../provisioner/provisionerSettings.js";
import type { DossierOutcome, ExecutionContext, Executor } from "./executor.js";

/** Runs the provisioner in this process: for one host and for development. */
export class LocalExecutor implements Executor {
  readonly kind = "local";

  constructor(private readonly settings: ProvisionerSettings) {}

  async run(order: OrderName, dossiers: readonly Dossier[], context: ExecutionContext): Promise<DossierOutcome[]> {
    const outcomes: DossierOutcome[] = [];
    for (const dossier of dossiers) {
      context.signal.throwIfAborted();
      outcomes.push(await this.#runOne(order, dossier));
    }
    return outcomes;
  }

  async #runOne(order: OrderName, dossier: Dossier): Promise<DossierOutcome> {
    try {
      return { username: dossier.username, ok: true, result: await provision(order, dossier, this.settings) };
    } catch (error) {
      if (error instanceof ProvisionError) return { username: dossier.username, ok: false, permanent: error.permanent, message: error.message };
      // Not an error the provisioner knows: assume it may pass, and let the queue retry.
      return { username: dossier.username, ok: false, permanent: false, message: error instanceof Error ? error.message : String(error) };
    }
  }

  async ready(): Promise<string | undefined> {
    try {
      await requireDirectory(this.settings.homeRoot, "MONEYPENNY_HOME_ROOT");
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  }

  async close(): Promise<void> {}
}
