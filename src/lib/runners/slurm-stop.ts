/**
 * `dispatch stop` for a Slurm worker, through the scheduler: a queued job is
 * cancelled (nothing ran); a running one gets the same courtesy as a local
 * worker, SIGINT first so Claude Code saves its session, then SIGTERM, then
 * a cancel of the job, which ends every process of it (SIGKILL after the
 * cluster's KillWait). The job passes signals on to claude's process group.
 */
import {rmSync} from 'node:fs'
import {setTimeout as delay} from 'node:timers/promises'

import {isActive, recordKey, type Registry, type SidequestRecord} from '../registry/index.js'
import {isSpecFile} from '../registry/jobs.js'
import type {StopOutcome, StoppedWorker} from '../stop.js'
import {QUEUED_STATES, slurmTool} from './slurm-scheduler.js'

const STEPS: ReadonlyArray<{signal: NodeJS.Signals; outcome: StopOutcome}> = [
  {signal: 'SIGINT', outcome: 'stopped'},
  {signal: 'SIGTERM', outcome: 'terminated'},
  {signal: 'SIGKILL', outcome: 'killed'},
]

// Each look asks squeue; a few a second is plenty for a job that takes seconds to end.
const POLL_MS = 200

async function waitUntil(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  for (;;) {
    if (await check()) return true
    if (Date.now() >= deadline) return false
    await delay(POLL_MS)
  }
}

export async function stopSlurmWorker(registry: Registry, r: SidequestRecord, waitMs: number): Promise<StoppedWorker> {
  const key = recordKey(r)
  const id = r.job_id!
  const gone = async () => {
    const now = await registry.get(key)
    return !now || !isActive(now)
  }
  let outcome: StopOutcome = 'survived'
  let signal: NodeJS.Signals = 'SIGINT'
  const queued = Boolean(r.job_state && QUEUED_STATES.has(r.job_state))
  if (queued) {
    // Nothing runs yet: take it out of the queue, and the spec file it would have read with it.
    signal = 'SIGTERM'
    await slurmTool('scancel', [id]).catch(() => {})
    if (await waitUntil(gone, Math.max(waitMs, 5000))) outcome = 'cancelled'
    // Only a path shaped like a spec file: a record's fields are not trusted to name what to delete.
    if (r.job_spec_file && isSpecFile(r.job_spec_file)) rmSync(r.job_spec_file, {force: true})
  } else {
    for (const step of STEPS) {
      signal = step.signal
      try {
        await slurmTool('scancel', step.signal === 'SIGKILL' ? [id] : [`--signal=${step.signal.slice(3)}`, '--full', id])
      } catch {
        // The job ended between the look and the signal.
      }
      if (await waitUntil(gone, step.signal === 'SIGKILL' ? Math.max(waitMs, 5000) : waitMs)) {
        outcome = step.outcome
        break
      }
    }
  }
  if (outcome === 'survived') return {pid: r.pid, ref: r.ref, mode: r.mode, outcome, signal, exit_code: null, exit_signal: null, job_id: id}
  // The job writes the end of the run when claude exits; give it a moment (it is on another node), then add ours.
  if (!queued) await waitUntil(async () => Boolean((await registry.update(key, {}))?.ended_at), 5000)
  const patch: Partial<SidequestRecord> = {stopped: true}
  const current = await registry.update(key, {})
  if (!current?.ended_at) {
    patch.ended_at = new Date().toISOString()
    patch.exit_code = signal === 'SIGKILL' ? 137 : null
    patch.exit_signal = signal === 'SIGKILL' ? 'SIGKILL' : null
  }
  const updated = (await registry.update(key, patch)) ?? {...r, ...patch}
  return {pid: updated.pid, ref: r.ref, mode: r.mode, outcome, signal, exit_code: updated.exit_code ?? null, exit_signal: updated.exit_signal ?? null, job_id: id}
}
