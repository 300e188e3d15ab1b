import {existsSync, writeFileSync} from 'node:fs'
import path from 'node:path'

/**
 * Fault injection for the crash tests (SECURITY.md): with
 * DISPATCH_FAULT_PAUSE=<step>, dispatch writes `<stateDir>/fault-<step>` when it
 * reaches that step and then hangs until it is killed. Steps: after-worktree,
 * after-spawn (supervisor started, spec not sent), after-record (record
 * written, health not judged), supervisor-before-record (in the supervisor:
 * claude started, its record not written). Unset in normal use; costs one env lookup.
 */
export async function faultPoint(step: 'after-worktree' | 'after-spawn' | 'after-record' | 'supervisor-before-record', stateDir: string): Promise<void> {
  if (process.env.DISPATCH_FAULT_PAUSE !== step) return
  writeFileSync(path.join(stateDir, `fault-${step}`), String(process.pid))
  await new Promise(() => setInterval(() => {}, 1 << 30))
}

/** How long dispatch waits for a supervisor to report its worker started; DISPATCH_FAULT_START_TIMEOUT_MS changes it for the tests. */
export function startTimeoutMs(defaultMs: number): number {
  const ms = Number(process.env.DISPATCH_FAULT_START_TIMEOUT_MS)
  return Number.isInteger(ms) && ms > 0 ? ms : defaultMs
}

/** With DISPATCH_FAULT_START_TIMEOUT_FILE (the tests): the start timeout also fires as soon as that file exists. */
export function startTimeoutFile(): (() => boolean) | undefined {
  const file = process.env.DISPATCH_FAULT_START_TIMEOUT_FILE
  return file ? () => existsSync(file) : undefined
}

/**
 * A factor for waits the tests must not sit through at full length (the
 * supervisor's half-minute of record retries): DISPATCH_FAULT_TIME_SCALE=0.1
 * makes them ten times shorter, with the same steps. 1 in normal use.
 */
export function faultTimeScale(): number {
  const scale = Number(process.env.DISPATCH_FAULT_TIME_SCALE)
  return scale > 0 && scale <= 1 ? scale : 1
}

/**
 * Whether the health window has closed: at `deadline`, or, with
 * DISPATCH_FAULT_HEALTH_FILE set (the tests), when that file exists and not
 * before, so a test decides what the worker has done by then instead of
 * racing the clock on a loaded machine.
 */
export function healthWindowClosed(deadline: number): boolean {
  const file = process.env.DISPATCH_FAULT_HEALTH_FILE
  return file ? existsSync(file) : Date.now() >= deadline
}
