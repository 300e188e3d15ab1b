import {lstatSync, readdirSync} from 'node:fs'
import {mkdir, open, unlink} from 'node:fs/promises'
import path from 'node:path'

import {FailureError, PolicyError, errorMessage} from './errors.js'

/**
 * A directory dispatch writes into must be a real directory (not a symlink,
 * which could point anywhere), ours, and writable by no one else; otherwise
 * another local user could plant records, swap logs or read them.
 */
function checkPrivateDir(dir: string, what: string): void {
  const st = lstatSync(dir)
  if (st.isSymbolicLink()) {
    throw new PolicyError(`${what} ${dir} is a symbolic link; dispatch writes only into real directories of its own.`, `Remove the link (rm ${dir}); dispatch recreates the directory.`)
  }
  if (!st.isDirectory()) throw new FailureError(`${what} ${dir} is not a directory.`, 'Move it away or set stateDir in the config.')
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined
  if (uid !== undefined && st.uid !== uid) {
    throw new PolicyError(`${what} ${dir} belongs to uid ${st.uid}, not you (uid ${uid}).`, 'Use a state directory of your own (stateDir in the config).')
  }
  if ((st.mode & 0o022) !== 0) {
    throw new PolicyError(
      `${what} ${dir} is writable by other users (mode ${(st.mode & 0o777).toString(8)}).`,
      `Other users could plant records or read logs there. Run: chmod 700 ${dir}`,
    )
  }
}

/**
 * Create (0700) and check each directory from `stateDir` down to
 * `stateDir/relative`, one level at a time, so no level can be a symlink or
 * someone else's.
 */
export async function ensurePrivateDirs(stateDir: string, relative: string): Promise<string> {
  let dir = stateDir
  for (const part of relative.split(path.sep).filter(Boolean)) {
    dir = path.join(dir, part)
    try {
      await mkdir(dir, {mode: 0o700})
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new FailureError(`Cannot create ${dir}: ${errorMessage(error)}.`, 'Check the permissions and free space of the state directory.')
      }
    }
    checkPrivateDir(dir, 'The directory')
  }
  return dir
}

/**
 * Make sure the state directory is ours and writable before anything starts
 * (SPEC §5: dirs 0700, files 0600). A world- or group-writable directory, or
 * one owned by someone else, could let another local user plant records or
 * read logs: refuse it rather than "fix" it silently.
 */
export async function ensureStateDir(stateDir: string): Promise<void> {
  try {
    await mkdir(stateDir, {recursive: true, mode: 0o700})
  } catch (error) {
    throw new FailureError(`Cannot create the state directory ${stateDir}: ${errorMessage(error)}.`, 'Fix its permissions or set stateDir in the config.')
  }
  checkPrivateDir(stateDir, 'The state directory')
  await ensurePrivateDirs(stateDir, 'sidequests')
  await ensurePrivateDirs(stateDir, 'logs')
  await ensurePrivateDirs(stateDir, 'locks')
  // Prove we can write there now (read-only mounts, full disks) before a worker starts.
  const probe = path.join(stateDir, 'sidequests', `.probe-${process.pid}-${Date.now()}`)
  try {
    const handle = await open(probe, 'wx', 0o600)
    await handle.write('ok\n')
    await handle.close()
    await unlink(probe)
  } catch (error) {
    await unlink(probe).catch(() => {})
    throw new FailureError(`Cannot write to the state directory ${stateDir}: ${errorMessage(error)}.`, 'Free some space or fix its permissions; no worker was started.')
  }
}

/** The regular files in `dir` whose names match `name`, with their modification times; [] when the dir is missing. */
export function filesIn(dir: string, name: RegExp): Array<{file: string; mtimeMs: number}> {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  const out: Array<{file: string; mtimeMs: number}> = []
  for (const n of names.filter((x) => name.test(x)).sort()) {
    const file = path.join(dir, n)
    try {
      const st = lstatSync(file)
      if (st.isFile()) out.push({file, mtimeMs: st.mtimeMs})
    } catch {}
  }
  return out
}
