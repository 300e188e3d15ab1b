/** What the Slurm scheduler says about the jobs behind records, laid over them when they are read. */
import {rmSync} from 'node:fs'

import {isLiveJobState, type JobScheduler} from '../runners/slurm-scheduler.js'
import {isActive} from './liveness.js'
import type {SidequestRecord} from './record.js'

/** Ended Slurm jobs are still asked about for this long, so status can show how the scheduler ended them. */
const RECENTLY_ENDED_MS = 60 * 60 * 1000
/** Accounting (sacct) is asked about jobs submitted this recently. */
const HISTORY_MS = 7 * 24 * 60 * 60 * 1000
/** A job squeue does not list this long after its submission was forgotten, not merely not shown yet. */
const FORGOTTEN_AFTER_MS = 10 * 60 * 1000

/** A path the Slurm runner writes specs to (`<stateDir>/slurm/spec-<hex>.json`): a record never makes dispatch delete anything else. Pure. */
export function isSpecFile(file: string): boolean {
  return /(^|\/)slurm\/spec-[0-9a-f]+\.json$/.test(file)
}

/**
 * Put what the scheduler says into Slurm records (job_state, job_reason,
 * node, and the end when the job ended without writing one): one query for
 * all of them. Not written back: the record on disk holds what the job wrote.
 */
export async function overlayJobStates(records: SidequestRecord[], scheduler: JobScheduler, warn: (message: string) => void): Promise<void> {
  const now = Date.now()
  const asked = records.filter((r) => r.runner === 'slurm' && r.job_id && (!r.ended_at || now - new Date(r.ended_at).getTime() < RECENTLY_ENDED_MS))
  if (asked.length === 0) return
  const jobs = await scheduler.jobs([...new Set(asked.map((r) => r.job_id!))])
  if (!jobs) {
    warn('warning: could not ask the Slurm scheduler (squeue) about jobs; Slurm workers without a recorded end count as active')
    return
  }
  // Forgotten by the queue without writing an end (killed at a time limit, its node lost): accounting may know how it
  // ended. Only recent ones: an old record without an end would otherwise cost every command a query forever.
  const unended = asked.filter((r) => !r.ended_at && !jobs.has(r.job_id!) && now - new Date(r.started_at).getTime() < HISTORY_MS)
  if (unended.length > 0 && scheduler.history) {
    const since = new Date(Math.min(...unended.map((r) => new Date(r.started_at).getTime())) - 60_000)
    for (const [id, job] of (await scheduler.history([...new Set(unended.map((r) => r.job_id!))], since)) ?? []) jobs.set(id, job)
  }
  for (const r of asked) {
    const job = jobs.get(r.job_id!)
    // A job that ended (or was forgotten) will never read its spec file: a job cancelled, refused
    // or failed while queued leaves it, with the worker's tokens, unless someone removes it.
    // (Forgotten only counts once the job is old enough that it cannot be one the scheduler has not shown yet.)
    const gone = job ? !isLiveJobState(job.state) : now - new Date(r.started_at).getTime() > FORGOTTEN_AFTER_MS
    if (r.job_spec_file && isSpecFile(r.job_spec_file) && gone) rmSync(r.job_spec_file, {force: true})
    if (!job) {
      // Forgotten by the scheduler: the record judges.
      if (!r.ended_at) r.job_state = null
      continue
    }
    r.job_state = job.state
    r.job_reason = job.reason
    if (job.node) r.node = job.node
    if (!r.ended_at && job.endedAt !== null) {
      r.ended_at = job.endedAt
      r.exit_code = job.exitCode
      r.exit_signal = job.exitSignal
    } else if (!r.ended_at && !isActive(r)) {
      r.ended_at = new Date(now).toISOString()
      r.exit_code = job.exitCode
      r.exit_signal = job.exitSignal
    }
  }
}
