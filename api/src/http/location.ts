import type { Context } from "koa";

/**
 * An absolute URL on this service. Behind a trusted proxy (`app.proxy`), Koa
 * takes the scheme and host from X-Forwarded-Proto and X-Forwarded-Host, so an
 * https ingress gets https redirects; otherwise those headers are ignored.
 */
export function absoluteUrl(ctx: Context, path: string): string {
  return `${ctx.protocol}://${ctx.host}${path}`;
}
