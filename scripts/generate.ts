/**
 * Generates the DEMO registry (fictional schools and premises inside Guyuan's real county outlines).
 *
 *   npx tsx scripts/generate.ts --schools 600 --premises 4000 [--seed 640400] [--out data/demo]
 *                               [--bbox minLon,minLat,maxLon,maxLat] [--format geojson|ndjson] [--roads on|off]
 *
 * Output is streamed to disk one feature at a time, so benchmark-sized sets (10,000 × 500,000 and more)
 * never exist as one giant string. Same arguments → byte-identical files.
 */
import { closeSync, mkdirSync, openSync, renameSync, statSync, writeSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import cliProgress from 'cli-progress'
import { PREMISES_CATEGORIES, SCHOOL_TYPES } from '../server/schemas/common.ts'
import { createRegistryGenerator } from './demo/generator.ts'
import { DEFAULT_SEED, validateOptions, type GenerateOptions } from './demo/options.ts'
import { NEAR_SCHOOL_M } from './demo/premises.ts'
import { loadReferenceData } from './demo/reference.ts'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

const USAGE = `Usage: npx tsx scripts/generate.ts [options]
  --schools N        number of schools (default 600)
  --premises M       number of licensed premises (default 4000)
  --addresses A      number of street address points in the city and county seats (default 400)
  --seed S           PRNG seed, integer 0..4294967295 (default ${DEFAULT_SEED})
  --out DIR          output directory (default data/demo)
  --bbox a,b,c,d     minLon,minLat,maxLon,maxLat: place everything anywhere in this box (benchmarks);
                     without it everything lies inside Guyuan's five counties
                     (a value starting with "-" needs "=": --bbox=-10,35,5,45)
  --roads on|off     also write the street network reaching every gate and premises (default on)
  --format F         geojson (FeatureCollection, one feature per line; default) or ndjson (one feature per line)
  --data DIR         reference data directory (default data)
  -h, --help         show this help
Writes schools.<ext>, premises.<ext>, addresses.<ext> and roads.<ext>. The output is GENERATED DEMO DATA,
not real schools, premises, addresses or streets.`

function fail(message: string): never {
  process.stderr.write(`error: ${message}\n\n${USAGE}\n`)
  process.exit(2)
}

function integerArg(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback
  const text = raw.replace(/_/g, '')
  if (!/^\d+$/.test(text)) fail(`--${name} must be a non-negative integer, got "${raw}"`)
  const value = Number(text)
  if (!Number.isSafeInteger(value)) fail(`--${name} is too large: "${raw}"`)
  return value
}

function bboxArg(raw: string | undefined): [number, number, number, number] | undefined {
  if (raw === undefined) return undefined
  const parts = raw.split(',').map((p) => p.trim())
  if (parts.length !== 4 || parts.some((p) => p === '' || !Number.isFinite(Number(p)))) {
    fail(`--bbox must be four numbers minLon,minLat,maxLon,maxLat, got "${raw}"`)
  }
  return parts.map(Number) as [number, number, number, number]
}

/** Buffered synchronous file writer: few syscalls, constant memory, atomic rename on close. */
class Sink {
  private readonly fd: number
  private chunks: string[] = []
  private size = 0
  readonly tmp: string

  constructor(readonly file: string) {
    this.tmp = `${file}.tmp`
    this.fd = openSync(this.tmp, 'w')
  }

  write(text: string): void {
    this.chunks.push(text)
    this.size += text.length
    if (this.size >= 1 << 20) this.flush()
  }

  private flush(): void {
    if (this.chunks.length > 0) writeSync(this.fd, this.chunks.join(''))
    this.chunks = []
    this.size = 0
  }

  close(): void {
    this.flush()
    closeSync(this.fd)
    renameSync(this.tmp, this.file)
  }
}

function writeCollection<F>(
  file: string,
  format: 'geojson' | 'ndjson',
  header: Record<string, unknown>,
  features: Iterable<F>,
  onFeature?: () => void,
): number {
  const sink = new Sink(file)
  let n = 0
  if (format === 'geojson') {
    const head = JSON.stringify({ type: 'FeatureCollection', ...header })
    sink.write(`${head.slice(0, -1)},"features":[\n`)
  }
  for (const feature of features) {
    const line = JSON.stringify(feature)
    sink.write(format === 'geojson' ? (n === 0 ? line : `,\n${line}`) : `${line}\n`)
    n++
    onFeature?.()
  }
  if (format === 'geojson') sink.write('\n]}\n')
  sink.close()
  return n
}

const pct = (part: number, whole: number) => (whole === 0 ? '0.0%' : `${((100 * part) / whole).toFixed(1)}%`)
const size = (file: string) => {
  const bytes = statSync(file).size
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MB` : `${(bytes / 1024).toFixed(0)} kB`
}

function table(
  title: string,
  counts: Record<string, number>,
  order: readonly string[],
  total: number,
  label: (k: string) => string = (k) => k,
): void {
  console.log(`  ${title}`)
  let keys = [
    ...order.filter((k) => k in counts),
    ...Object.keys(counts)
      .filter((k) => !order.includes(k))
      .sort(),
  ]
  let rest = 0
  if (keys.length > 15) {
    // many synthetic regions (bbox mode): the largest ones and a remainder line
    keys = keys.sort((x, y) => (counts[y] ?? 0) - (counts[x] ?? 0) || x.localeCompare(y))
    rest = keys.slice(12).reduce((sum, k) => sum + (counts[k] ?? 0), 0)
    keys = keys.slice(0, 12)
  }
  const line = (name: string, n: number) => console.log(`    ${name.padEnd(28)} ${String(n).padStart(9)}  ${pct(n, total).padStart(6)}`)
  for (const k of keys) line(label(k), counts[k] ?? 0)
  if (rest > 0) line(`(${Object.keys(counts).length - 12} more)`, rest)
}

function main(): void {
  let values
  try {
    values = parseArgs({
      options: {
        schools: { type: 'string' },
        premises: { type: 'string' },
        addresses: { type: 'string' },
        seed: { type: 'string' },
        out: { type: 'string' },
        bbox: { type: 'string' },
        format: { type: 'string' },
        roads: { type: 'string' },
        data: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values
  } catch (error) {
    fail((error as Error).message)
  }
  if (values.help) {
    console.log(USAGE)
    return
  }
  const format = values.format ?? 'geojson'
  if (format !== 'geojson' && format !== 'ndjson') fail(`--format must be geojson or ndjson, got "${format}"`)
  const roads = values.roads ?? 'on'
  if (roads !== 'on' && roads !== 'off') fail(`--roads must be on or off, got "${roads}"`)
  const bbox = bboxArg(values.bbox)
  const options: GenerateOptions = {
    schools: integerArg('schools', values.schools, 600),
    premises: integerArg('premises', values.premises, 4000),
    seed: integerArg('seed', values.seed, DEFAULT_SEED),
    ...(bbox ? { bbox } : {}),
  }
  try {
    validateOptions(options)
  } catch (error) {
    fail((error as Error).message.replace(/^(schools|premises|seed|bbox)/, '--$1'))
  }
  const addressCount = integerArg('addresses', values.addresses, 400)
  const outDir = path.resolve(values.out ?? path.join(root, 'data', 'demo'))
  const dataDir = path.resolve(values.data ?? path.join(root, 'data'))

  const started = performance.now()
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`
  console.log(
    `Generating DEMO data (not real): ${options.schools} schools, ${options.premises} premises, seed ${options.seed}, ` +
      (bbox ? `anywhere in bbox ${bbox.join(',')}` : "inside Guyuan's five county outlines"),
  )
  const reference = loadReferenceData(dataDir)
  const countyName = new Map(reference.counties.map((c) => [c.code, c.name]))
  const generator = createRegistryGenerator(options, reference)
  console.log(`  placed ${generator.schoolCount} campuses (${elapsed()})`)

  mkdirSync(outDir, { recursive: true })
  const ext = format === 'geojson' ? 'geojson' : 'ndjson'
  const header = {
    name: '',
    demo: true,
    note: 'GENERATED DEMO DATA - fictional, not real schools or premises',
    generator: {
      script: 'scripts/generate.ts',
      seed: options.seed,
      schools: options.schools,
      premises: options.premises,
      ...(bbox ? { bbox } : {}),
    },
  }
  const schoolsFile = path.join(outDir, `schools.${ext}`)
  const premisesFile = path.join(outDir, `premises.${ext}`)
  writeCollection(schoolsFile, format, { ...header, name: 'demo_schools' }, generator.schools())
  console.log(`  wrote ${path.relative(process.cwd(), schoolsFile) || schoolsFile} (${size(schoolsFile)}, ${elapsed()})`)

  const bar =
    process.stderr.isTTY && options.premises >= 50_000
      ? new cliProgress.SingleBar(
          { stream: process.stderr, format: '  premises [{bar}] {percentage}% {value}/{total} eta {eta}s' },
          cliProgress.Presets.shades_classic,
        )
      : undefined
  bar?.start(options.premises, 0)
  let done = 0
  writeCollection(premisesFile, format, { ...header, name: 'demo_premises' }, generator.premises(), () => {
    if (bar && ++done % 5000 === 0) bar.update(done)
  })
  bar?.update(options.premises)
  bar?.stop()
  console.log(`  wrote ${path.relative(process.cwd(), premisesFile) || premisesFile} (${size(premisesFile)}, ${elapsed()})`)

  const addressesFile = path.join(outDir, `addresses.${ext}`)
  const addresses = writeCollection(
    addressesFile,
    format,
    { ...header, name: 'demo_addresses', generator: { ...header.generator, addresses: addressCount } },
    generator.addresses(addressCount),
  )
  console.log(
    `  wrote ${path.relative(process.cwd(), addressesFile) || addressesFile} (${addresses} address points, ${size(addressesFile)}, ${elapsed()})`,
  )

  if (roads === 'on') {
    const roadsFile = path.join(outDir, `roads.${ext}`)
    const roadHeader = {
      ...header,
      name: 'demo_roads',
      note: 'GENERATED DEMO DATA - fictional streets, not real roads; OpenStreetMap tags',
    }
    const count = writeCollection(roadsFile, format, roadHeader, generator.roads())
    console.log(`  wrote ${path.relative(process.cwd(), roadsFile) || roadsFile} (${count} lines, ${size(roadsFile)}, ${elapsed()})`)
  }

  const { stats } = generator
  const label = (code: string) => `${code} ${countyName.get(code) ?? '(synthetic region)'}`
  const regionOrder = reference.counties.map((c) => c.code)
  console.log('\nSummary')
  table('schools by county', stats.schoolsByCounty, regionOrder, generator.schoolCount, label)
  table('schools by type', stats.schoolsByType, SCHOOL_TYPES, generator.schoolCount)
  table('premises by county', stats.premisesByCounty, regionOrder, stats.premises, label)
  table('premises by category', stats.premisesByCategory, PREMISES_CATEGORIES, stats.premises)
  table('premises by licence status', stats.premisesByStatus, ['active', 'expired', 'suspended', 'revoked'], stats.premises)
  console.log(
    `  premises within ${NEAR_SCHOOL_M} m of a school campus boundary (local planar measure): ` +
      `${stats.premisesWithin200m} of ${stats.premises} = ${pct(stats.premisesWithin200m, stats.premises)}`,
  )
  console.log(`Done in ${elapsed()}.`)
}

main()
