/**
 * Worker indexes and ports (SPEC §10): each active worker gets the smallest
 * index no other active worker on this machine holds (of any repository:
 * ports are the machine's, and two repositories' dev servers collide on one
 * port as surely as one repository's do), and a port derived from it.
 * Decided under the registry lock from the active records plus the
 * dispatches still starting (their setup runs outside the lock).
 */

import type {Config} from '../config/index.js'
import {PolicyError} from '../errors.js'
import type {SidequestRecord} from '../registry/index.js'

export interface WorkerSlot {
  /** DISPATCH_WORKER_INDEX: 0, 1, 2, … among the active workers on this machine. */
  index: number
  /** DISPATCH_PORT: worktree.portBase + index × worktree.portStride. */
  port: number
  /** Ports from `port` up to `port + stride - 1` are this worker's. */
  stride: number
}

/** The smallest non-negative integer not in `taken`. Pure. */
export function freeIndex(taken: Iterable<number>): number {
  const used = new Set(taken)
  let i = 0
  while (used.has(i)) i++
  return i
}

/** The slot a new worker of `repo` gets among the given active workers, whatever their repository. Pure. */
export function slotFor(active: readonly Pick<SidequestRecord, 'worker_index'>[], repo: string, ports: Pick<Config['worktree'], 'portBase' | 'portStride'>): WorkerSlot {
  const taken = active.filter((r) => typeof r.worker_index === 'number').map((r) => r.worker_index as number)
  const index = freeIndex(taken)
  const port = ports.portBase + index * ports.portStride
  // A port range past 65535 cannot be listened on: say so now, not as the worker's dev server failing.
  if (port + ports.portStride - 1 > 65_535) {
    throw new PolicyError(
      `Worker ${index} of ${repo} would get ports ${port}-${port + ports.portStride - 1}, past 65535.`,
      'Lower worktree.portBase or worktree.portStride in the config, or wait for a worker to finish.',
    )
  }
  return {index, port, stride: ports.portStride}
}

/** The line of the prompt's notes that names the worker's index and port. Pure. */
export function slotSentence(slot: WorkerSlot): string {
  const last = slot.port + slot.stride - 1
  const range = slot.stride > 1 ? `ports ${slot.port}-${last}` : `port ${slot.port}`
  return `You are worker ${slot.index} on this machine: DISPATCH_WORKER_INDEX=${slot.index} and DISPATCH_PORT=${slot.port} are set in your environment. Use ${range} for dev servers, test databases and anything else that listens, so workers running in parallel (of this repository or another) do not collide.`
}
