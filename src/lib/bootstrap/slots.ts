/**
 * Worker indexes and ports (SPEC §10): each active worker gets the smallest
 * index no other active worker on this machine holds (of any repository:
 * ports are the machine's, and two repositories' dev servers collide on one
 * port as surely as one repository's do), and a port derived from it.
 * Decided under the registry lock from the active records plus the
 * dispatches still starting (their setup runs outside the lock).
 */
import {randomBytes} from 'node:crypto'
import {readdir, rename, unlink, writeFile} from 'node:fs/promises'
import path from 'node:path'

import type {Config} from '../config/index.js'
import {PolicyError} from '../errors.js'
import {isSameProcessAlive, processStartTime} from '../proc.js'
import {readRecordFile} from '../registry/file.js'
import type {SidequestRecord} from '../registry/index.js'
import {ensurePrivateDirs} from '../state.js'

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

/**
 * A dispatch that has passed its checks but whose worker is not started yet
 * (its setup command runs outside the registry lock). Other dispatches count
 * it as an active worker: its ref, claims, worktree and index are taken.
 * `pid` is the dispatching process.
 */
export type StartingRecord = SidequestRecord

function startingDir(stateDir: string): string {
  return path.join(stateDir, 'starting')
}

/**
 * Note a dispatch as starting; returns the function that forgets it (called
 * once its worker's record is written, or when the dispatch fails).
 */
export async function markStarting(stateDir: string, record: Omit<SidequestRecord, 'pid' | 'pid_start_time'>): Promise<() => Promise<void>> {
  const dir = await ensurePrivateDirs(stateDir, 'starting')
  const name = `${process.pid}-${randomBytes(4).toString('hex')}.json`
  const file = path.join(dir, name)
  const full: StartingRecord = {...record, pid: process.pid, pid_start_time: processStartTime(process.pid) ?? null}
  const tmp = path.join(dir, `.${name}.tmp`)
  await writeFile(tmp, JSON.stringify(full) + '\n', {mode: 0o600, flag: 'wx'})
  await rename(tmp, file)
  return () => unlink(file).catch(() => {})
}

/**
 * The dispatches starting now. A file left by a dispatch that died (kill -9)
 * is ignored and removed: its process is gone. Each note is read as a record
 * is (registry/file.ts): a FIFO, a symlink (to /dev/zero, say), a huge file or
 * someone else's file is skipped with a warning, so nothing planted in the
 * directory can hang or flood a dispatch or reap.
 */
export async function startingRecords(stateDir: string, warn: (message: string) => void = () => {}): Promise<StartingRecord[]> {
  const dir = startingDir(stateDir)
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return []
  }
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined
  const out: StartingRecord[] = []
  for (const name of names.filter((n) => n.endsWith('.json') && !n.startsWith('.'))) {
    const file = path.join(dir, name)
    const r = readRecordFile(file, uid, warn)
    if (!r) continue
    if (isSameProcessAlive(r.pid, r.pid_start_time)) out.push(r)
    else await unlink(file).catch(() => {})
  }
  return out
}
