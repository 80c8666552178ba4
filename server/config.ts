import path from 'node:path'

/** Everything the process reads from its environment, parsed once. See .env.example. */
export interface Config {
  readonly port: number
  readonly host: string
  /** PostgreSQL + PostGIS server; undefined means the embedded PGlite database in dataDir. */
  readonly databaseUrl: string | undefined
  /** Hot standbys of that server (streaming replication) that take reads: tiles, search, lists, checks. */
  readonly databaseReplicaUrls: readonly string[]
  readonly dataDir: string
  /** Load the generated demo registry (schools, premises, one user per department) on first start. */
  readonly loadDemoData: boolean
  readonly logLevel: string
  readonly sessionTtlHours: number
  /** A session unused for this long ends (0: only the absolute lifetime counts). */
  readonly sessionIdleMinutes: number
  /**
   * How long an instance reuses a session's or API token's look-up without asking the database (0: never): a
   * revocation made on another instance takes effect here within this time.
   */
  readonly sessionCacheMs: number
  /** Bytes of rendered vector tiles an instance keeps in memory, by data version (0: none). */
  readonly tileCacheBytes: number
  /** Failed sign-ins are counted in windows of this length. */
  readonly loginFailureWindowMinutes: number
  /** Failed sign-ins from one address, across usernames, after which it is refused until the window ends (password spraying). */
  readonly loginMaxFailuresPerAddress: number
  /** Failed sign-ins for one username after which it is locked until the window ends (0: no lockout). */
  readonly loginLockoutFailures: number
  /** Origins allowed to send cookie-authenticated writes besides the server's own. */
  readonly trustedOrigins: readonly string[]
  readonly loginRateLimitPerMinute: number
  /** Largest request body in bytes; imports get importBodyLimitBytes. */
  readonly bodyLimitBytes: number
  readonly importBodyLimitBytes: number
  /** Most nodes a road import (OpenStreetMap XML or PBF) may hold; a larger extract is refused with 413. */
  readonly roadImportMaxNodes: number
  readonly cookieSecure: boolean
  /**
   * Where users reach the service (https://zones.example.gov.cn), when it sits behind a proxy: the origin writes must
   * come from, the base of tile URLs, HSTS and Secure cookies when https. Unset: the request's own host.
   */
  readonly publicUrl: string | undefined
  /** Trust X-Forwarded-* from the proxy in front (its address, a CIDR list, or true for any); false: no proxy. */
  readonly trustProxy: boolean | string
  /** Serve the built web app from web/dist when present. */
  readonly serveWeb: boolean
  /** Tianditu (天地图) browser key; with it the map desk lays Tianditu's Web-Mercator tiles beneath the project's layers. */
  readonly tiandituKey: string | undefined
  /** Which Tianditu tiles: vector map (vec_w + cva_w) or imagery (img_w + cia_w). */
  readonly tiandituStyle: 'vector' | 'imagery'
  /** The map approval number (审图号) shown with the Tianditu basemap, as Tianditu publishes it. */
  readonly mapApprovalNumber: string | undefined
  /** Password of the demo users created with the demo data. */
  readonly demoPassword: string
  /** How often new audit-log entries are sealed into the hash chain (0: never by this instance; `npm run audit-log -- seal` does it). */
  readonly auditSealIntervalSeconds: number
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got "${raw}"`)
  }
  return value
}

function publicUrl(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.PUBLIC_URL?.trim()
  if (!raw) return undefined
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new Error(`PUBLIC_URL must be an absolute http(s) URL, got "${raw}"`)
  }
  if (!['http:', 'https:'].includes(url.protocol) || url.pathname !== '/' || url.search || url.hash || url.username)
    throw new Error(`PUBLIC_URL must be an http(s) origin with no path, query or credentials, got "${raw}"`)
  return url.origin
}

function trustProxy(env: NodeJS.ProcessEnv): boolean | string {
  const raw = env.TRUST_PROXY?.trim()
  if (!raw || ['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true
  if (!/^[0-9a-fA-F.:/, ]+$/.test(raw)) throw new Error(`TRUST_PROXY must be true, false or addresses/CIDRs, got "${raw}"`)
  return raw
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true
  if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false
  throw new Error(`${name} must be true or false, got "${raw}"`)
}

function choice<const T extends readonly string[]>(env: NodeJS.ProcessEnv, name: string, values: T, fallback: T[number]): T[number] {
  const raw = env[name]?.trim()
  if (!raw) return fallback
  if (!values.includes(raw)) throw new Error(`${name} must be one of ${values.join(', ')}, got "${raw}"`)
  return raw
}

// The key is put into tile URLs in the browser: only the characters Tianditu keys use are accepted.
function tiandituKey(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.TIANDITU_KEY?.trim()
  if (!raw) return undefined
  if (!/^[A-Za-z0-9]{8,64}$/.test(raw)) throw new Error('TIANDITU_KEY must be 8–64 letters and digits')
  return raw
}

/** Parses the environment into one frozen Config; throws with the variable's name on bad values. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const databaseUrl = env.DATABASE_URL?.trim() || undefined
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new Error('DATABASE_URL must be a postgres:// or postgresql:// URL')
  }
  const databaseReplicaUrls = (env.DATABASE_REPLICA_URLS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  for (const url of databaseReplicaUrls)
    if (!/^postgres(ql)?:\/\//.test(url))
      throw new Error('DATABASE_REPLICA_URLS must be postgres:// or postgresql:// URLs, comma-separated')
  if (databaseReplicaUrls.length > 0 && !databaseUrl)
    throw new Error('DATABASE_REPLICA_URLS needs DATABASE_URL: replicas are standbys of a PostgreSQL server, not of the embedded database')
  const config: Config = {
    port: integer(env, 'PORT', 3000, 0, 65535),
    host: env.HOST?.trim() || '127.0.0.1',
    databaseUrl,
    databaseReplicaUrls,
    dataDir: path.resolve(env.DATA_DIR?.trim() || '.data'),
    loadDemoData: flag(env, 'LOAD_DEMO_DATA', true),
    logLevel: env.LOG_LEVEL?.trim() || 'info',
    sessionTtlHours: integer(env, 'SESSION_TTL_HOURS', 12, 1, 24 * 30),
    sessionIdleMinutes: integer(env, 'SESSION_IDLE_MINUTES', 60, 0, 24 * 60 * 30),
    sessionCacheMs: integer(env, 'SESSION_CACHE_MS', 2000, 0, 5000),
    tileCacheBytes: integer(env, 'TILE_CACHE_BYTES', 64 * 1024 * 1024, 0, 16 * 1024 * 1024 * 1024),
    loginFailureWindowMinutes: integer(env, 'LOGIN_FAILURE_WINDOW_MINUTES', 10, 1, 24 * 60),
    loginMaxFailuresPerAddress: integer(env, 'LOGIN_MAX_FAILURES_PER_ADDRESS', 30, 1, 1_000_000),
    loginLockoutFailures: integer(env, 'LOGIN_LOCKOUT_FAILURES', 0, 0, 1000),
    auditSealIntervalSeconds: integer(env, 'AUDIT_SEAL_INTERVAL_SECONDS', 5, 0, 3600),
    trustedOrigins: (env.TRUSTED_ORIGINS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    loginRateLimitPerMinute: integer(env, 'LOGIN_RATE_LIMIT_PER_MINUTE', 10, 1, 10000),
    bodyLimitBytes: integer(env, 'BODY_LIMIT_BYTES', 1024 * 1024, 1024, 1024 * 1024 * 1024),
    importBodyLimitBytes: integer(env, 'IMPORT_BODY_LIMIT_BYTES', 100 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    roadImportMaxNodes: integer(env, 'ROAD_IMPORT_MAX_NODES', 5_000_000, 1000, 50_000_000),
    cookieSecure: flag(env, 'COOKIE_SECURE', publicUrl(env)?.startsWith('https://') ?? false),
    publicUrl: publicUrl(env),
    trustProxy: trustProxy(env),
    serveWeb: flag(env, 'SERVE_WEB', true),
    tiandituKey: tiandituKey(env),
    tiandituStyle: choice(env, 'TIANDITU_STYLE', ['vector', 'imagery'] as const, 'vector'),
    mapApprovalNumber: env.MAP_APPROVAL_NUMBER?.trim() || undefined,
    demoPassword: env.DEMO_PASSWORD || 'guyuan-demo',
    ...overrides,
  }
  return Object.freeze(config)
}
