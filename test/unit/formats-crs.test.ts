import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { crsFromWkt, fromAuthority, parseWkt } from '../../server/modules/formats/crs.ts'

const run = promisify(execFile)
/** The WKT GDAL writes for a CRS in one of its dialects (the independent source of every text here). */
const wktOf = async (crs: string, dialect: string) => (await run('gdalsrsinfo', ['-o', dialect, crs])).stdout.trim()
/** The same WKT without its own authority: what an Esri-style .prj looks like for any dialect. */
const withoutOwnId = (wkt: string) => wkt.replace(/,\s*(ID|AUTHORITY)\["EPSG",\s*"?\d+"?\]\s*\]$/, ']')

describe('CRS recognised from WKT as GDAL writes it', () => {
  for (const srid of [4326, 4490, 4544, 4545]) {
    for (const dialect of ['wkt1', 'wkt_esri', 'wkt2_2019']) {
      it(`EPSG:${srid} in ${dialect}, with and without its own authority`, async () => {
        const wkt = await wktOf(`EPSG:${srid}`, dialect)
        expect(crsFromWkt(wkt)).toEqual({ srid })
        const bare = withoutOwnId(wkt)
        if (dialect !== 'wkt_esri') expect(bare).not.toBe(wkt)
        expect(crsFromWkt(bare)).toEqual({ srid })
      })
    }
  }

  // Other Gauss-Krüger systems that must not pass for 4544/4545: another central meridian, the zone-prefixed
  // variant of the same meridian (false easting 35,500,000 m), the Xi'an 1980 datum, Web Mercator and WGS 84 UTM 48N.
  for (const [crs, name] of [
    ['EPSG:4546', 'CM 111E'],
    ['EPSG:4523', 'zone 35'],
    ['EPSG:2383', 'Xian 1980'],
    ['EPSG:3857', 'Pseudo-Mercator'],
    ['EPSG:32648', 'UTM zone 48N'],
  ] as const) {
    it(`${crs} (${name}) is unknown, named, with and without its authority`, async () => {
      for (const dialect of ['wkt1', 'wkt_esri', 'wkt2_2019']) {
        const wkt = await wktOf(crs, dialect)
        const reading = crsFromWkt(wkt)
        expect(reading, `${dialect}: ${wkt}`).toHaveProperty('unknown')
        expect(crsFromWkt(withoutOwnId(wkt))).toHaveProperty('unknown')
      }
    })
  }

  it('text that is not WKT is unknown, quoting its start; hostile nesting does not throw', () => {
    expect(crsFromWkt('hello')).toEqual({ unknown: expect.stringContaining('"hello"') })
    expect(parseWkt('A['.repeat(100_000))).toBeUndefined()
    expect(parseWkt(`GEOGCS["${'x'.repeat(70_000)}"]`)).toBeUndefined()
  })

  it('authority codes: EPSG (also when no organisation is named), OGC CRS84, others named', () => {
    expect(fromAuthority(null, 4545)).toEqual({ srid: 4545 })
    expect(fromAuthority('epsg', '4490')).toEqual({ srid: 4490 })
    expect(fromAuthority('OGC', 'CRS84')).toEqual({ srid: 4326 })
    expect(fromAuthority('EPSG', 4547)).toEqual({ unknown: 'EPSG:4547' })
    expect(fromAuthority('ESRI', 102100)).toEqual({ unknown: 'ESRI:102100' })
  })
})
