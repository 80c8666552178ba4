import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../server/config.ts'
import { loadReferenceData } from '../../server/modules/reference/load.ts'
import { startTestApp, type TestApp } from '../helpers/app.ts'

describe('basemap settings', () => {
  let plain: TestApp
  let tianditu: TestApp
  beforeAll(async () => {
    plain = await startTestApp()
    await loadReferenceData(plain.app.db)
    tianditu = await startTestApp({ tiandituKey: 'abcdef0123456789', tiandituStyle: 'imagery', mapApprovalNumber: 'GS(2099)0000号' })
  })
  afterAll(async () => {
    await plain?.close()
    await tianditu?.close()
  })

  it('without a key: no Tianditu, and the extent of the county outlines (public, before sign-in)', async () => {
    const response = await plain.request().get('/api/map-config').expect(200)
    expect(response.body.tianditu).toBeNull()
    const [w, s, e, n] = response.body.bounds
    expect(w).toBeGreaterThan(105)
    expect(e).toBeLessThan(107.5)
    expect(s).toBeGreaterThan(35)
    expect(n).toBeLessThan(37)
  })

  it('with a key: Tianditu imagery and its labels over hosts t0–t7, Web Mercator, with attribution and approval number', async () => {
    const response = await tianditu.request().get('/api/map-config').expect(200)
    const { tiles, attribution, style } = response.body.tianditu
    expect(style).toBe('imagery')
    expect(tiles).toHaveLength(2)
    expect(tiles[0]).toHaveLength(8)
    expect(tiles[0][0]).toMatch(/^https:\/\/t0\.tianditu\.gov\.cn\/img_w\/wmts\?.*TILEMATRIXSET=w.*tk=abcdef0123456789/)
    expect(tiles[1][7]).toMatch(/^https:\/\/t7\.tianditu\.gov\.cn\/cia_w\//)
    expect(attribution).toContain('天地图')
    expect(response.body.approvalNumber).toBe('GS(2099)0000号')
  })

  it('refuses a key that could break out of a tile URL, and an unknown style, when the configuration is read', () => {
    expect(() => loadConfig({ TIANDITU_KEY: 'abc&x=<script>' })).toThrow(/TIANDITU_KEY/)
    expect(() => loadConfig({ TIANDITU_KEY: 'abcdef0123456789', TIANDITU_STYLE: 'satellite' })).toThrow(/TIANDITU_STYLE/)
    expect(loadConfig({ TIANDITU_KEY: 'abcdef0123456789' }).tiandituStyle).toBe('vector')
  })
})
