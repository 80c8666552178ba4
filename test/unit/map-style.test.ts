import { describe, expect, it } from 'vitest'
import { buildStyle, LABEL_FONT, LAYER_GROUPS } from '../../web/src/map/style.ts'
import { parseCoordinates } from '../../web/src/ui/coordinates.ts'
import { parseMapPosition } from '../../web/src/router.ts'

const bounds = [105.3, 35.2, 106.97, 36.6]

describe('map style', () => {
  it('offline: only the service’s own tiles, no glyph server (labels drawn with local CJK fonts)', () => {
    const style = buildStyle({ tianditu: null, approvalNumber: null, bounds, sources: {} })
    expect(style.glyphs).toBeUndefined()
    expect(Object.values(style.sources).every((source) => source.type === 'vector' && source.url!.startsWith('/tiles/'))).toBe(true)
    const labels = style.layers.filter((layer) => layer.type === 'symbol')
    expect(labels.length).toBeGreaterThan(0)
    for (const layer of labels) expect((layer as { layout: Record<string, unknown> }).layout['text-font']).toEqual(LABEL_FONT)
    for (const ids of Object.values(LAYER_GROUPS)) for (const id of ids) expect(style.layers.some((layer) => layer.id === id)).toBe(true)
  })

  it('draws from the TileJSON inlined in the settings, without asking for it, and the registry from one source', () => {
    const tileJson = (layer: string, minzoom: number) => ({
      tilejson: '3.0.0' as const,
      name: layer,
      description: layer,
      attribution: layer === 'roads' ? '© OpenStreetMap' : '',
      scheme: 'xyz' as const,
      tiles: [`https://zones.example.cn/tiles/${layer}/{z}/{x}/{y}.mvt?v=a1b2c3d4-7`],
      minzoom,
      maxzoom: 16,
      bounds: [105.3, 35.2, 106.97, 36.6],
      center: [106.2, 36.0, 12],
      vector_layers: [],
    })
    const sources = { counties: tileJson('counties', 0), roads: tileJson('roads', 11), registry: tileJson('registry', 10) }
    const style = buildStyle({ tianditu: null, approvalNumber: null, bounds, sources })
    expect(style.sources.counties).toEqual({
      type: 'vector',
      tiles: sources.counties.tiles,
      minzoom: 0,
      maxzoom: 16,
      bounds: [105.3, 35.2, 106.97, 36.6],
      scheme: 'xyz',
    })
    expect(style.sources.roads).toMatchObject({ tiles: sources.roads.tiles, attribution: '© OpenStreetMap' })
    expect(style.sources.registry).toMatchObject({ tiles: sources.registry.tiles, minzoom: 10 })
    // Not inlined (not in the settings): asked for by URL.
    expect(style.sources.townships).toEqual({ type: 'vector', url: '/tiles/townships.json' })
    // Every registry layer, schools, zones and premises alike, draws from the one registry source.
    for (const group of ['schools', 'zoneCore', 'zoneControl', 'premises'] as const)
      for (const id of LAYER_GROUPS[group]) expect(style.layers.find((layer) => layer.id === id)).toMatchObject({ source: 'registry' })
    expect(Object.keys(style.sources).sort()).toEqual(['counties', 'registry', 'roads', 'townships'])
  })

  it('with Tianditu: its base and label rasters lie beneath every registry layer, attributed with the approval number', () => {
    const tiles = [['https://t0.tianditu.gov.cn/vec_w/wmts?tk=k'], ['https://t0.tianditu.gov.cn/cva_w/wmts?tk=k']]
    const style = buildStyle({
      tianditu: { key: 'k', style: 'vector', tiles, attribution: '© 天地图' },
      approvalNumber: 'GS(2099)0000号',
      bounds,
      sources: {},
    })
    const ids = style.layers.map((layer) => layer.id)
    expect(ids.indexOf('tianditu')).toBeLessThan(ids.indexOf('county-line'))
    expect(ids.indexOf('tianditu-labels')).toBeLessThan(ids.indexOf('zone-control-fill'))
    expect(style.sources.tianditu).toMatchObject({ type: 'raster', tiles: tiles[0], tileSize: 256 })
    expect((style.sources.tianditu as { attribution: string }).attribution).toBe('© 天地图 · 审图号 GS(2099)0000号')
  })
})

describe('pasted coordinates', () => {
  it('reads Amap and Baidu picker output, spaces, Chinese commas, and latitude first', () => {
    expect(parseCoordinates('106.2410,36.0150')).toEqual({ lon: 106.241, lat: 36.015, swapped: false })
    expect(parseCoordinates(' 106.2410 ， 36.0150 ')).toEqual({ lon: 106.241, lat: 36.015, swapped: false })
    expect(parseCoordinates('36.0150 106.2410')).toEqual({ lon: 106.241, lat: 36.015, swapped: true })
  })
  it('refuses what is not two numbers in range', () => {
    for (const text of ['', '106.2', '106.2,36.0,5', 'abc,def', '106,95', '1e3,36', '200,95'])
      expect(parseCoordinates(text), text).toBeUndefined()
  })
})

describe('map position in the URL', () => {
  it('reads zoom/lat/lon and refuses anything else', () => {
    expect(parseMapPosition('15.50/36.01500/106.24000')).toEqual({ center: [106.24, 36.015], zoom: 15.5 })
    for (const text of [null, '', '30/36/106', '15/95/106', '15/36/200', '15/36', 'x/y/z'])
      expect(parseMapPosition(text), String(text)).toBeUndefined()
  })
})
