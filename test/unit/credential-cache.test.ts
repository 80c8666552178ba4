/** The credential cache's bookkeeping, with the clock passed in: entries end at their TTL or sooner, evictions win races. */
import { describe, expect, it } from 'vitest'
import { CredentialCache } from '../../server/modules/users/credential-cache.ts'
import type { User } from '../../server/schemas/auth.ts'

const user = (id: number): User => ({ id, username: `u${id}`, department: 'tobacco', role: 'clerk', countyCode: null, demo: false })
const session = (id: number, publicId = `p${id}`) => ({ user: user(id), publicId })
const T0 = 1_000_000

describe('the credential cache', () => {
  it('answers an entry until its TTL, then forgets it', () => {
    const cache = new CredentialCache(2000)
    cache.sessions.set('a', session(1), cache.sessions.ticket(), Infinity, T0)
    expect(cache.sessions.get('a', T0 + 1999)?.user.id).toBe(1)
    expect(cache.sessions.get('a', T0 + 2000)).toBeUndefined()
    expect(cache.sessions.get('a', T0 + 1)).toBeUndefined()
  })

  it('never answers past the credential’s own end', () => {
    const cache = new CredentialCache(2000)
    cache.sessions.set('a', session(1), cache.sessions.ticket(), T0 + 500, T0)
    expect(cache.sessions.get('a', T0 + 499)).toBeDefined()
    expect(cache.sessions.get('a', T0 + 500)).toBeUndefined()
    cache.sessions.set('b', session(2), cache.sessions.ticket(), T0 - 1, T0)
    expect(cache.sessions.get('b', T0)).toBeUndefined()
  })

  it('keeps nothing with a TTL of 0', () => {
    const cache = new CredentialCache(0)
    cache.sessions.set('a', session(1), cache.sessions.ticket(), Infinity, T0)
    expect(cache.sessions.get('a', T0)).toBeUndefined()
  })

  it('does not store a look-up that began before an eviction', () => {
    const cache = new CredentialCache(2000)
    const ticket = cache.sessions.ticket()
    cache.forgetSessionById('p9')
    cache.sessions.set('a', session(1), ticket, Infinity, T0)
    expect(cache.sessions.get('a', T0)).toBeUndefined()
    cache.sessions.set('a', session(1), cache.sessions.ticket(), Infinity, T0)
    expect(cache.sessions.get('a', T0)).toBeDefined()
  })

  it('forgets by token hash, by public id, by user and by API token', () => {
    const cache = new CredentialCache(5000)
    for (const [key, id] of [
      ['h1', 1],
      ['h2', 2],
      ['h3', 3],
    ] as const)
      cache.sessions.set(key, session(id), cache.sessions.ticket(), Infinity, T0)
    cache.apiTokens.set('k3', { user: user(3), token: { id: 30, name: 't', access: 'read' } }, cache.apiTokens.ticket(), Infinity, T0)
    cache.apiTokens.set('k4', { user: user(4), token: { id: 40, name: 't', access: 'write' } }, cache.apiTokens.ticket(), Infinity, T0)
    cache.forgetSession('h1')
    expect(cache.sessions.get('h1', T0)).toBeUndefined()
    cache.forgetSessionById('p2')
    expect(cache.sessions.get('h2', T0)).toBeUndefined()
    cache.forgetUser(3)
    expect(cache.sessions.get('h3', T0)).toBeUndefined()
    expect(cache.apiTokens.get('k3', T0)).toBeUndefined()
    expect(cache.apiTokens.get('k4', T0)).toBeDefined()
    cache.forgetApiToken(40)
    expect(cache.apiTokens.get('k4', T0)).toBeUndefined()
  })

  it('holds at most 10,000 entries, dropping the oldest', () => {
    const cache = new CredentialCache(5000)
    for (let i = 0; i <= 10_000; i += 1) cache.sessions.set(`h${i}`, session(i), cache.sessions.ticket(), Infinity, T0)
    expect(cache.sessions.get('h0', T0)).toBeUndefined()
    expect(cache.sessions.get('h1', T0)).toBeDefined()
    expect(cache.sessions.get('h10000', T0)).toBeDefined()
  })
})
