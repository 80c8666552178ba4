import { parseFlags } from '../scripts/cli.ts'
import { benchAudit } from './audit.ts'
import { benchBatch } from './batch.ts'
import { benchCertificate } from './certificate.ts'
import { benchCheck } from './check.ts'
import { benchImport } from './import.ts'
import { benchReports } from './reports.ts'
import { benchRoads } from './roads.ts'
import { benchSearch } from './search.ts'
import { benchStartup } from './startup.ts'
import { benchTiles } from './tiles.ts'
import { benchWalking } from './walking.ts'
import { benchPatrol } from './patrol.ts'
import { benchWeb } from './web.ts'
import { benchPatrolTracks } from './patrol-tracks.ts'
import { benchLoad } from './load.ts'
import { benchHealth } from './health.ts'

// npm run bench -- <startup|import|audit|check|certificate|tiles|web|search|roads|walking|batch|patrol|patrol-tracks|reports|load|health> [--flag value …]
const benches: Record<string, (args: Record<string, string>) => Promise<void>> = {
  startup: benchStartup,
  import: benchImport,
  audit: benchAudit,
  check: benchCheck,
  certificate: benchCertificate,
  tiles: benchTiles,
  web: benchWeb,
  search: benchSearch,
  roads: benchRoads,
  walking: benchWalking,
  'patrol-tracks': benchPatrolTracks,
  batch: benchBatch,
  reports: benchReports,
  patrol: benchPatrol,
  load: benchLoad,
  health: benchHealth,
}
const [name, ...rest] = process.argv.slice(2)
const bench = name ? benches[name] : undefined
if (!bench) {
  console.error(`usage: npm run bench -- <${Object.keys(benches).join('|')}> [--schools N --premises M --bbox … --requests N]`)
  process.exit(2)
}
await bench(
  parseFlags(rest, [
    'schools',
    'premises',
    'bbox',
    'requests',
    'sample',
    'ways',
    'rows',
    'units',
    'budget',
    'part',
    'seconds',
    'soak',
    'connections',
  ]),
)
process.exit(process.exitCode ?? 0)
