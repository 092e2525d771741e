/**
 * Kubernetes' `$(VAR)` expansion in env values, command and args: a defined
 * variable is replaced, an undefined reference is left as written, and `$$`
 * is an escaped `$`.
 */
export function expand(text: string, variables: ReadonlyMap<string, string>): string {
  return text.replace(/\$\$|\$\(([^)]*)\)/g, (match, name: string | undefined) => {
    if (match === "$$") return "$";
    return name !== undefined && variables.has(name) ? (variables.get(name) ?? "") : match;
  });
}
