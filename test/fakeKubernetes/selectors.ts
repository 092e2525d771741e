import type { StoredObject } from "./objects.js";
import { badRequest } from "./status.js";

export type Selector = (object: StoredObject) => boolean;

const everything: Selector = () => true;

/** Splits at commas that are not inside `in (a,b)` parentheses. */
function requirements(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "(") depth++;
    else if (text[i] === ")") depth--;
    else if (text[i] === "," && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== "");
}

/** A label selector in the query syntax: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, comma-separated (all must hold). */
export function labelSelector(text: string | undefined): Selector {
  if (!text) return everything;
  const tests = requirements(text).map((requirement): ((labels: Record<string, string>) => boolean) => {
    let m = /^([^\s=!(),]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(requirement);
    if (m) {
      const [, k = "", op, list = ""] = m;
      const values = new Set(list.split(",").map((v) => v.trim()));
      return op === "in" ? (labels) => labels[k] !== undefined && values.has(labels[k]) : (labels) => labels[k] === undefined || !values.has(labels[k]);
    }
    m = /^([^\s=!(),]+)\s*(==|=|!=)\s*([^\s=!(),]*)$/.exec(requirement);
    if (m) {
      const [, k = "", op, v = ""] = m;
      return op === "!=" ? (labels) => labels[k] !== v : (labels) => labels[k] === v;
    }
    m = /^(!?)([^\s=!(),]+)$/.exec(requirement);
    if (m) {
      const [, not, k = ""] = m;
      return not ? (labels) => labels[k] === undefined : (labels) => labels[k] !== undefined;
    }
    throw badRequest(`unable to parse requirement: ${JSON.stringify(requirement)}`);
  });
  return (object) => tests.every((t) => t(object.metadata.labels ?? {}));
}

/**
 * A field selector. Only the fields that never change are supported: a watch
 * filtered on a changing field would have to turn changes into ADDED/DELETED
 * as the real watch cache does, which the fake does not do.
 */
export function fieldSelector(text: string | undefined): Selector {
  if (!text) return everything;
  const tests = requirements(text).map((requirement): Selector => {
    const m = /^([^\s=!]+)\s*(==|=|!=)\s*(.*)$/.exec(requirement);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${requirement}'`);
    const [, field = "", op, value = ""] = m;
    if (field !== "metadata.name" && field !== "metadata.namespace") throw badRequest(`field label not supported: ${field}`);
    const read = (o: StoredObject) => (field === "metadata.name" ? o.metadata.name : o.metadata.namespace);
    return op === "!=" ? (o) => read(o) !== value : (o) => read(o) === value;
  });
  return (object) => tests.every((t) => t(object));
}
