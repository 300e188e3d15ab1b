import {writeFileSync} from 'node:fs'
import path from 'node:path'

/**
 * Fault injection for the crash tests (SECURITY.md): with
 * DISPATCH_FAULT_PAUSE=<step>, dispatch writes `<stateDir>/fault-<step>` when it
 * reaches that step and then hangs until it is killed. Steps: after-worktree,
 * after-spawn (supervisor started, spec not sent), after-record (record
 * written, health not judged). Unset in normal use; costs one env lookup.
 */
export async function faultPoint(step: 'after-worktree' | 'after-spawn' | 'after-record', stateDir: string): Promise<void> {
  if (process.env.DISPATCH_FAULT_PAUSE !== step) return
  writeFileSync(path.join(stateDir, `fault-${step}`), String(process.pid))
  await new Promise(() => setInterval(() => {}, 1 << 30))
}
