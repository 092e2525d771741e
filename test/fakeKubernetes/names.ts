import { randomInt } from "node:crypto";

/** The alphabet of Kubernetes' generated name suffixes (no vowels, so no words). */
const alphabet = "bcdfghjklmnpqrstvwxz2456789";

/** `<base><5 random characters>`, as metadata.generateName gives; the base is cut so that the name fits 63 characters. */
export function generateName(base: string): string {
  let suffix = "";
  for (let i = 0; i < 5; i++) suffix += alphabet[randomInt(alphabet.length)];
  return base.slice(0, 58) + suffix;
}

/** metav1.Time as the server writes it: RFC 3339 with whole seconds. */
export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
