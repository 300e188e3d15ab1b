import {isSameProcessAlive} from '../proc.js'
import {QUEUED_STATES, isLiveJobState} from '../runners/slurm-scheduler.js'
import type {SidequestRecord, WorkerState} from './record.js'

/**
 * Is the worker behind a record still running (pid alive and the same process)?
 * A Slurm worker is active while the scheduler has its job queued or running
 * (the Registry reads `job_state` from squeue): its process is on another node.
 * `job_state` null means the scheduler forgot the job: the record alone judges,
 * and a record without an end is not active. Absent means the scheduler could
 * not be asked: a job not known to have ended counts as active, so duplicate
 * and claim checks stay on the safe side.
 */
export function isActive(record: SidequestRecord): boolean {
  if (record.ended_at) return false
  // A print line nobody has pasted yet holds its place until it expires.
  if (record.pid === 0 && typeof record.print_expires_at === 'string') return Date.now() < Date.parse(record.print_expires_at)
  // Any runner but local has a scheduler that owns the process (Slurm today).
  if (record.runner && record.runner !== 'local') return record.job_state === undefined || isLiveJobState(record.job_state)
  return isSameProcessAlive(record.pid, record.pid_start_time)
}

/**
 * queued (a Slurm job waiting for its place) / running / exited / stopped (by `dispatch stop`) / killed (ended by a signal
 * someone else sent) / crashed / unknown (pid gone without an end written,
 * e.g. the supervisor was killed).
 */
export function workerState(record: SidequestRecord, alive = isActive(record)): WorkerState {
  if (record.crashed) return 'crashed'
  if (record.pid === 0 && typeof record.print_expires_at === 'string' && !record.ended_at) return alive ? 'waiting' : 'expired'
  if (alive && record.job_state && QUEUED_STATES.has(record.job_state)) return 'queued'
  if (record.stopped && (record.ended_at || !alive)) return 'stopped'
  if (record.ended_at) return record.exit_signal ? 'killed' : 'exited'
  return alive ? 'running' : 'unknown'
}
