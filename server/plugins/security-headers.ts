import type { FastifyInstance } from 'fastify'
import type { Config } from '../config.ts'

/**
 * The page's Content-Security-Policy: scripts only from the service itself (no inline script, no eval), MapLibre's
 * workers from blob: URLs, Tianditu's tile hosts only when a key makes the desk use them, and no framing.
 * Styles allow 'unsafe-inline': MapLibre and the desk position popups and markers through style attributes.
 */
export function contentSecurityPolicy(config: Pick<Config, 'tiandituKey'>): string {
  const tiles = config.tiandituKey ? ' https://*.tianditu.gov.cn' : ''
  return [
    "default-src 'self'",
    "script-src 'self'",
    "worker-src 'self' blob:",
    "child-src 'self' blob:",
    `img-src 'self' data: blob:${tiles}`,
    `connect-src 'self'${tiles}`,
    "style-src 'self' 'unsafe-inline'",
    "font-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ')
}

/** Whether the service is published over HTTPS (PUBLIC_URL), so browsers are told to keep to it. */
const httpsPublished = (config: Pick<Config, 'publicUrl'>) => config.publicUrl?.startsWith('https://') ?? false

/**
 * Headers on every answer: nosniff, same-origin referrers, no framing, the CSP (the API documentation pages, whose
 * bundled initialiser is not ours, keep theirs), HSTS when published over HTTPS, and no-store on API answers, which can
 * hold personal data (applicants' ID numbers) that no browser or proxy cache should keep.
 */
export function installSecurityHeaders(app: FastifyInstance, config: Config) {
  const csp = contentSecurityPolicy(config)
  const hsts = httpsPublished(config)
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-content-type-options', 'nosniff')
    reply.header('referrer-policy', 'same-origin')
    reply.header('x-frame-options', 'DENY')
    if (!request.url.startsWith('/docs')) reply.header('content-security-policy', csp)
    if (hsts) reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains')
    if (request.url.startsWith('/api/') && !reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store')
  })
}
