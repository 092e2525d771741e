import type { Dossier, OrderName, OrderResult } from "@moneypenny/shared";
import { commission } from "./commission.js";
import type { ProvisionerSettings } from "./provisionerSettings.js";
import { retire } from "./retire.js";

/** The one entry point to the privileged operations, whoever runs them. */
export function provision(order: OrderName, dossier: Dossier, settings: ProvisionerSettings): Promise<OrderResult> {
  return order === "commission" ? commission(dossier, settings) : retire(dossier, settings);
}
