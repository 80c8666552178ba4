import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import geodesic from 'geographiclib-geodesic'

const run = promisify(execFile)

/** A scratch directory for one test file, removed by `remove`. */
export function scratchDirectory(prefix: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`))
  return { dir, file: (name: string) => path.join(dir, name), remove: () => fs.rmSync(dir, { recursive: true, force: true }) }
}

/** Runs GDAL's ogr2ogr (the independent client) and returns its stdout. */
export async function ogr2ogr(args: string[], env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run('ogr2ogr', args, { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 })
  return stdout
}

/** Runs GDAL's ogrinfo and returns its stdout. */
export async function ogrinfo(args: string[]): Promise<string> {
  const { stdout } = await run('ogrinfo', args, { maxBuffer: 64 * 1024 * 1024 })
  return stdout
}

/** A file read back as GeoJSON in WGS84 by ogr2ogr (positions with 15 decimals); `withoutCrs`: the file names none, it is WGS84. */
export async function readWithGdal(
  file: string,
  openOptions: readonly string[] = [],
  withoutCrs = false,
): Promise<{ features: { properties: Record<string, unknown>; geometry: { type: string; coordinates: any } }[] }> {
  const out = `${file}.readback.geojson`
  fs.rmSync(out, { force: true })
  await ogr2ogr([
    '-f',
    'GeoJSON',
    out,
    file,
    ...(withoutCrs ? ['-s_srs', 'EPSG:4326'] : []),
    '-t_srs',
    'EPSG:4326',
    '-lco',
    'COORDINATE_PRECISION=15',
    ...openOptions.flatMap((o) => ['-oo', o]),
  ])
  return JSON.parse(fs.readFileSync(out, 'utf8'))
}

/** Zips files with the `zip` tool (no folders stored). */
export async function zipFiles(zipPath: string, files: string[]): Promise<Buffer> {
  fs.rmSync(zipPath, { force: true })
  await run('zip', ['-q', '-j', zipPath, ...files])
  return fs.readFileSync(zipPath)
}

/** Zips entries under exactly the names given (path tricks included) with Python's zipfile. */
export async function zipEntries(zipPath: string, entries: Record<string, string>): Promise<Buffer> {
  const script = [
    'import sys, json, zipfile',
    'entries = json.loads(sys.argv[2])',
    "with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:",
    '    for name, source in entries.items():',
    '        z.writestr(name, open(source, "rb").read())',
  ].join('\n')
  await run('python3', ['-c', script, zipPath, JSON.stringify(entries)])
  return fs.readFileSync(zipPath)
}

/** Geodesic distance in metres on WGS84 (GeographicLib, the independent oracle). */
export function geodesicDistanceM(a: readonly number[], b: readonly number[]): number {
  return geodesic.Geodesic.WGS84.Inverse(a[1]!, a[0]!, b[1]!, b[0]!).s12!
}

/** Real positions in Guyuan's five counties (county seats and streets), with their county codes. */
export const GUYUAN_PLACES = [
  { countyCode: '640402', county: '原州区', at: [106.2428133, 36.0157912] },
  { countyCode: '640422', county: '西吉县', at: [105.7298417, 35.9646204] },
  { countyCode: '640423', county: '隆德县', at: [106.1114351, 35.6255527] },
  { countyCode: '640424', county: '泾源县', at: [106.3306602, 35.4980311] },
  { countyCode: '640425', county: '彭阳县', at: [106.6385017, 35.8497125] },
] as const
