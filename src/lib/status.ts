import {stat} from 'node:fs/promises'
import {setTimeout as delay} from 'node:timers/promises'

import {NotFoundError, UsageError} from './errors.js'
import {formatRef, parseIssueRef, type RefHosts} from './issue-ref.js'
import {pidExists} from './proc.js'
import {chainOf, isActive, workerState, type SidequestRecord, type WorkerState} from './registry/index.js'
import {readFrom, readLogTail} from './worker/log.js'
import {renderLine, renderTail} from './worker/stream/index.js'

/** One worker as `status` reports it: the record plus what was worked out about it. */
export type StatusEntry = SidequestRecord & {
  state: WorkerState
  active: boolean
  duration_ms: number
  tail?: string[]
}

export function toEntry(r: SidequestRecord, now: Date): StatusEntry {
  const active = isActive(r)
  const end = r.ended_at ? new Date(r.ended_at).getTime() : now.getTime()
  return {...r, state: workerState(r, active), active, duration_ms: Math.max(0, end - new Date(r.started_at).getTime())}
}

/** An earlier run of an issue, as a folded status row lists it. */
export interface EarlierAttempt {
  pid: number
  job_id?: string | null
  state: WorkerState
  exit_code: number | null
  started_at: string
  ended_at: string | null
  /** dispatch watch's runs: which attempt of which round (absent for a run watch did not start). */
  attempt?: number
  round?: number
}

/**
 * One issue in the bare list: its newest run, with how many runs it has had
 * (`attempts`, this one included) and the earlier ones, newest first. A
 * redispatch, a retry or a later round of the same issue is one more attempt;
 * dispatch watch's runs also say their own attempt and round (chainLabel).
 */
export type IssueEntry = StatusEntry & {attempts: number; earlier_attempts: EarlierAttempt[]}

const newestFirst = (a: StatusEntry, b: StatusEntry) => b.started_at.localeCompare(a.started_at) || b.pid - a.pid

/** Every record folded into one entry per issue (owner/repo compared case-insensitively), newest issue first. Pure. */
export function foldAttempts(records: readonly StatusEntry[]): IssueEntry[] {
  const byRef = new Map<string, StatusEntry[]>()
  for (const r of [...records].sort(newestFirst)) {
    const key = r.ref.toLowerCase()
    byRef.set(key, [...(byRef.get(key) ?? []), r])
  }
  return [...byRef.values()].map(([newest, ...earlier]) => ({
    ...newest,
    attempts: earlier.length + 1,
    earlier_attempts: earlier.map((e) => ({pid: e.pid, ...(e.job_id ? {job_id: e.job_id} : {}), state: e.state, exit_code: e.exit_code ?? null, started_at: e.started_at, ended_at: e.ended_at ?? null, ...chainKeys(e)})),
  }))
}

/** attempt and round, where the record has them (a run dispatch watch started). */
function chainKeys(r: Pick<SidequestRecord, 'attempt' | 'round'>): {attempt?: number; round?: number} {
  if (r.attempt === undefined && r.round === undefined) return {}
  const c = chainOf(r)
  return {attempt: c.attempt, round: c.round}
}

/** `a2/r1`: attempt 2 of feedback round 1, for a run dispatch watch started; undefined for any other run. Pure. */
export function chainLabel(r: Pick<SidequestRecord, 'attempt' | 'round'>): string | undefined {
  const c = chainKeys(r)
  return c.attempt === undefined ? undefined : `a${c.attempt}/r${c.round}`
}

/**
 * Bare `status`: one entry per issue (foldAttempts) with a run that is
 * active or started within `sinceMs` (every issue with `all`), newest
 * first. Pure over its inputs.
 */
export function selectRecent(records: readonly StatusEntry[], now: Date, sinceMs: number, all: boolean): IssueEntry[] {
  const recent = (r: StatusEntry) => r.active || now.getTime() - new Date(r.started_at).getTime() <= sinceMs
  const shown = new Set(records.filter((r) => all || recent(r)).map((r) => r.ref.toLowerCase()))
  return foldAttempts(records).filter((e) => shown.has(e.ref.toLowerCase()))
}

/** The newest record of an issue, matching owner/repo case-insensitively. No network. */
export function selectByRef(records: readonly StatusEntry[], input: string, hosts: RefHosts): StatusEntry {
  const ref = formatRef(parseIssueRef(input, hosts)).toLowerCase()
  const matches = records.filter((r) => r.ref.toLowerCase() === ref).sort((a, b) => b.started_at.localeCompare(a.started_at))
  if (matches.length === 0) throw new NotFoundError(`No worker has been dispatched for ${formatRef(parseIssueRef(input, hosts))}.`, 'See every worker with: dispatch status --all')
  return matches[0]
}

export function selectByPid(records: readonly StatusEntry[], pid: number): StatusEntry {
  if (!Number.isInteger(pid) || pid <= 0) throw new UsageError(`--pid must be a positive integer, got ${pid}.`, 'See: dispatch sidequests list')
  const found = records.find((r) => r.pid === pid)
  if (!found) throw new NotFoundError(`No worker record has pid ${pid}.`, 'See every worker with: dispatch status --all')
  return found
}

/** When each worker's log last grew (ISO), for the list's activity column: one stat per listed worker. */
export async function withActivity<T extends SidequestRecord>(records: readonly T[]): Promise<Array<T & {last_activity: string | null}>> {
  return Promise.all(records.map(async (r) => ({...r, last_activity: r.log_path ? await stat(r.log_path).then((s) => s.mtime.toISOString(), () => null) : null})))
}

/** The entry with its rendered tail, and the log offset the tail ends at. */
export async function withTail(e: StatusEntry, n: number, width?: number): Promise<{entry: StatusEntry; offset: number}> {
  const {text, size} = await readLogTail(e.log_path)
  // A partial last line belongs to what follows, not to the tail.
  const complete = text.endsWith('\n') ? text : text.slice(0, text.lastIndexOf('\n') + 1)
  return {entry: {...e, tail: renderTail(complete, n, width)}, offset: size - Buffer.byteLength(text.slice(complete.length))}
}

/**
 * Stream a worker's log as rendered lines until it exits (its record gains
 * an end, or its process is gone), then resolve with the final record.
 */
export async function follow(
  entry: StatusEntry,
  reload: () => Promise<SidequestRecord | undefined>,
  write: (line: string) => void,
  opts: {fromOffset?: number; pollMs?: number; width?: number} = {},
): Promise<SidequestRecord> {
  let offset = opts.fromOffset ?? (entry.log_path ? await stat(entry.log_path).then((s) => s.size, () => 0) : 0)
  let pending = ''
  let record: SidequestRecord = entry
  const drain = async () => {
    if (!record.log_path) return
    const chunk = await readFrom(record.log_path, offset)
    if (!chunk.text) return
    offset = chunk.offset
    const lines = (pending + chunk.text).split('\n')
    pending = lines.pop() ?? ''
    for (const l of lines) for (const out of renderLine(l, opts.width)) write(out)
  }
  let graceUntil = 0
  for (;;) {
    await drain()
    record = (await reload()) ?? record
    let done = Boolean(record.ended_at)
    if (!done && !isActive(record)) {
      // NOTE: the worker is gone but its supervisor may still be writing the end; give it a moment.
      graceUntil ||= Date.now() + 5000
      // A Slurm job records its end before it ends; its supervisor's pid is on another node.
      done = record.runner === 'slurm' || !(record.supervisor_pid && pidExists(record.supervisor_pid) && Date.now() < graceUntil)
    }
    if (done) {
      await drain()
      if (pending) for (const out of renderLine(pending, opts.width)) write(out)
      return record
    }
    await delay(opts.pollMs ?? 200)
  }
}
