import cliProgress from 'cli-progress'
import { runAudit, startAudit } from '../server/modules/audits/service.ts'
import { openConfiguredDatabase, run } from './cli.ts'

// npm run audit [-- --full]: audit every conflict and zone (incremental unless --full), with a progress bar, and print what changed.
run(async () => {
  const handle = await openConfiguredDatabase()
  const bar = new cliProgress.SingleBar(
    { format: 'auditing {bar} {percentage}% | {value}/{total} schools | {duration}s', hideCursor: true },
    cliProgress.Presets.shades_classic,
  )
  try {
    const audit = await startAudit(handle.db, { user: null, requestId: 'cli' }, { full: process.argv.includes('--full') })
    bar.start(audit.schoolsTotal, 0)
    const done = await runAudit(handle.db, audit.id, (value, total) => bar.update(value, { total }), handle.kind)
    bar.stop()
    const s = done.summary!
    console.log(
      `audit ${done.id} (${s.mode ?? 'full'}: ${s.basis ?? ''}): ${s.conflicts} conflicts; ${s.added} added, ${s.removed} removed, ${s.changed} changed (${s.seconds} s)`,
    )
  } finally {
    bar.stop()
    await handle.close()
  }
})
