import fs from 'node:fs'
import path from 'node:path'

/**
 * The embedded database has one user at a time: two processes opening one data folder corrupt it. The folder's
 * user writes its process id into `<folder>.lock` beside it; a second process is refused while that process lives.
 * A lock left by a process that died (kill -9, power loss) is taken over. Returns the release.
 */
export function lockDataDir(dataDir: string): () => void {
  const lockFile = `${path.resolve(dataDir)}.lock`
  // Within this process the set knows: a lock file with this process's id that is not in it is a previous life's
  // (a container restarted with the same pid).
  if (held.has(lockFile)) throw new Error(`the embedded database in ${dataDir} is already open in this process`)
  fs.mkdirSync(path.dirname(lockFile), { recursive: true })
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      fs.writeFileSync(lockFile, `${process.pid}\n`, { flag: 'wx' })
      held.add(lockFile)
      return () => {
        held.delete(lockFile)
        try {
          if (readPid(lockFile) === process.pid) fs.unlinkSync(lockFile)
        } catch {
          // already gone
        }
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const holder = readPid(lockFile)
      if (holder !== undefined && holder !== process.pid && alive(holder))
        throw new Error(
          `the embedded database in ${dataDir} is in use by process ${holder}; stop it first (if no service runs, remove ${lockFile})`,
          { cause: error },
        )
      fs.rmSync(lockFile, { force: true })
    }
  }
  throw new Error(`could not lock the embedded database in ${dataDir}`)
}

const held = new Set<string>()

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8'), 10)
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
