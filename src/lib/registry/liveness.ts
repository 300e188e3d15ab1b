import {isSameProcessAlive} from '../proc.js'
import type {SidequestRecord, WorkerState} from './record.js'

/** Is the worker behind a record still running (pid alive and the same process)? */
export function isActive(record: SidequestRecord): boolean {
  if (record.ended_at) return false
  return isSameProcessAlive(record.pid, record.pid_start_time)
}

/**
 * running / exited / stopped (by `dispatch stop`) / killed (ended by a signal
 * someone else sent) / crashed / unknown (pid gone without an end written,
 * e.g. the supervisor was killed).
 */
export function workerState(record: SidequestRecord, alive = isActive(record)): WorkerState {
  if (record.crashed) return 'crashed'
  if (record.stopped && (record.ended_at || !alive)) return 'stopped'
  if (record.ended_at) return record.exit_signal ? 'killed' : 'exited'
  return alive ? 'running' : 'unknown'
}
