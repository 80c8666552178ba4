/**
 * The desk's page (the built index.html) with what the desk needs first written into it as data: the signed-in user
 * and the map settings with the TileJSON of every source. The desk then draws the map as soon as its script runs,
 * instead of asking /api/auth/me, /api/map-config and one TileJSON per source first. The data sits in a
 * <script type="application/json">, which the browser never runs: the Content-Security-Policy (no inline script) holds.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { UserSchema, type User } from '../../schemas/auth.ts'
import type { DeskBoot } from '../../schemas/map.ts'
import { tileOrigin } from '../tiles/service.ts'
import * as service from './service.ts'

export const BOOT_ELEMENT_ID = 'desk-boot'

/** The user as GET /api/auth/me answers it: the fields of the schema, nothing the session row carries beside them. */
function publicUser(user: User): User {
  return Object.fromEntries(Object.keys(UserSchema.properties).map((key) => [key, user[key as keyof User]])) as User
}

/**
 * JSON that can sit inside a <script> element: no "<" (so no "</script>" or "<!--" can end or change the element) and no
 * U+2028/U+2029; JSON.parse reads the escapes back as the same characters.
 */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
}

/** The page with the boot data placed as the first element of <head>, before the desk's script and styles. */
export function withBootData(html: string, boot: DeskBoot): string {
  const element = `<script type="application/json" id="${BOOT_ELEMENT_ID}">${scriptSafeJson(boot)}</script>`
  const at = html.indexOf('</head>')
  if (at < 0) throw new Error('the desk page has no </head>')
  return `${html.slice(0, at)}    ${element}\n  ${html.slice(at)}`
}

/** Serves the desk's page at / (and /index.html) from the built files in `dist`, re-read when a build replaces it. */
export function registerDeskPage(app: FastifyInstance, dist: string) {
  const file = path.join(dist, 'index.html')
  let cached: { mtimeMs: number; html: string } | null = null
  const page = () => {
    const { mtimeMs } = fs.statSync(file)
    if (cached?.mtimeMs !== mtimeMs) cached = { mtimeMs, html: fs.readFileSync(file, 'utf8') }
    return cached.html
  }
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const user = request.user ? publicUser(request.user) : null
    const mapConfig = await service.mapConfig(request.readDb, app.config, {
      signedIn: user !== null,
      tileOrigin: tileOrigin(app.config.publicUrl, request),
    })
    // Personal to the session and current at this moment: no cache keeps it.
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(withBootData(page(), { user, mapConfig }))
  }
  app.get('/', { schema: { hide: true } }, handler)
  app.get('/index.html', { schema: { hide: true } }, handler)
}
