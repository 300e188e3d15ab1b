import {lstatSync} from 'node:fs'
import {mkdir, open, unlink} from 'node:fs/promises'
import path from 'node:path'

import {FailureError, PolicyError, errorMessage} from './errors.js'

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
  const st = lstatSync(stateDir)
  if (!st.isDirectory()) throw new FailureError(`The state directory ${stateDir} is not a directory.`, 'Move it away or set stateDir in the config.')
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined
  if (uid !== undefined && st.uid !== uid) {
    throw new PolicyError(`The state directory ${stateDir} belongs to uid ${st.uid}, not you (uid ${uid}).`, 'Use a state directory of your own (stateDir in the config).')
  }
  if ((st.mode & 0o022) !== 0) {
    throw new PolicyError(
      `The state directory ${stateDir} is writable by other users (mode ${(st.mode & 0o777).toString(8)}).`,
      `Other users could plant records or read logs there. Run: chmod 700 ${stateDir}`,
    )
  }
  for (const sub of ['sidequests', 'logs', 'locks']) {
    await mkdir(path.join(stateDir, sub), {recursive: true, mode: 0o700}).catch((error) => {
      throw new FailureError(`Cannot create ${path.join(stateDir, sub)}: ${errorMessage(error)}.`, 'Check the permissions and free space of the state directory.')
    })
  }
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
