import {closeSync, constants as fsConstants, fstatSync, lstatSync, openSync, readFileSync} from 'node:fs'
import {mkdir, readdir, rename, unlink, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {canonicalPath, claimOverlap, type ConflictReason} from './claims.js'
import type {ForgeKind} from './issue-ref.js'
import {isSameProcessAlive, livePidFilter} from './proc.js'

export const SCHEMA_VERSION = 1

/** A record is a few hundred bytes; anything past this is not one (and must not be read whole). */
export const MAX_RECORD_BYTES = 1024 * 1024
const RECORD_OPEN_FLAGS = fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK

const currentUid = () => (typeof process.getuid === 'function' ? process.getuid() : undefined)

export type SidequestMode = 'headless' | 'cascade' | 'interactive'

/**
 * One registry record: `<stateDir>/sidequests/<pid>.json` (SPEC §5).
 * snake_case keys are the public format other tools read.
 */
export interface SidequestRecord {
  schema_version: number
  /** The claude process. */
  pid: number
  /** Opaque OS start time of `pid`, to tell a live worker from a reused pid. */
  pid_start_time: string | null
  mode: SidequestMode
  /** Canonical `owner/repo#N`. */
  ref: string
  forge: ForgeKind
  url: string
  title: string
  /** ISO 8601. */
  started_at: string
  /** CLAUDE_CODE_SESSION_ID of whoever dispatched this worker, when it was a Claude session. */
  parent_session: string | null
  /** Absolute, canonical paths the worker declared it will edit. */
  paths_claimed: string[]
  cwd: string
  branch: string
  log_path: string | null
  cascade_depth: number
  claude_session_id: string | null
  /** The main checkout the worktree belongs to. */
  checkout?: string
  /** Interactive sessions started in another terminal: ties the record to its launch. */
  launch_id?: string
  /** pid of the process that owns the worker (supervisor or session runner). */
  supervisor_pid?: number | null
  ended_at?: string | null
  exit_code?: number | null
  cost_usd?: number | null
  num_turns?: number | null
  /** Set when dispatch judged the start a failure and stopped the worker. */
  crashed?: boolean
  /** Why it crashed, in a sentence. */
  error?: string | null
}

/** One (active worker, claim) overlap with a queried path. */
export interface Conflict {
  pid: number
  ref: string
  claim: string
  path: string
  reason: ConflictReason
}

export type WorkerState = 'running' | 'exited' | 'crashed' | 'unknown'

export interface RegistryOptions {
  stateDir: string
  /** Called for records that are skipped (corrupt, foreign). Defaults to silence. */
  warn?: (message: string) => void
}

function isRecord(value: unknown): value is SidequestRecord {
  if (value === null || typeof value !== 'object') return false
  const r = value as Record<string, unknown>
  return (
    Number.isInteger(r.pid) &&
    (r.pid as number) > 0 &&
    typeof r.ref === 'string' &&
    typeof r.started_at === 'string' &&
    typeof r.cwd === 'string' &&
    Array.isArray(r.paths_claimed) &&
    (r.paths_claimed as unknown[]).every((p) => typeof p === 'string')
  )
}

/** Fill keys older records may lack, so readers see one shape. */
function normalise(r: SidequestRecord): SidequestRecord {
  return {
    ...r,
    schema_version: typeof r.schema_version === 'number' ? r.schema_version : 0,
    pid_start_time: r.pid_start_time ?? null,
    mode: r.mode ?? 'headless',
    forge: r.forge ?? 'github',
    url: r.url ?? '',
    title: r.title ?? '',
    parent_session: r.parent_session ?? null,
    branch: r.branch ?? '',
    log_path: r.log_path ?? null,
    cascade_depth: typeof r.cascade_depth === 'number' ? r.cascade_depth : 0,
    claude_session_id: r.claude_session_id ?? null,
  }
}

/** Is the worker behind a record still running (pid alive and the same process)? */
export function isActive(record: SidequestRecord): boolean {
  if (record.ended_at) return false
  return isSameProcessAlive(record.pid, record.pid_start_time)
}

/** RUNNING / EXITED n / CRASHED / UNKNOWN (pid gone without an end written, e.g. the supervisor was killed). */
export function workerState(record: SidequestRecord, alive = isActive(record)): WorkerState {
  if (record.crashed) return 'crashed'
  if (record.ended_at) return 'exited'
  return alive ? 'running' : 'unknown'
}

/** Every overlap between the given records' claims and a path (canonical absolute). Pure. */
export function findConflicts(records: readonly SidequestRecord[], target: string): Conflict[] {
  const out: Conflict[] = []
  for (const r of records) {
    for (const claim of r.paths_claimed) {
      const reason = claimOverlap(claim, target)
      if (reason) out.push({pid: r.pid, ref: r.ref, claim, path: target, reason})
    }
  }
  return out
}

/**
 * The sidequest registry: one JSON file per worker under `<stateDir>/sidequests`.
 * Safe to use from other programs; it never starts the CLI.
 *
 * @example
 * const registry = new Registry({stateDir: `${process.env.HOME}/.local/state/dispatch`})
 * for (const w of await registry.active()) console.log(w.pid, w.ref, w.paths_claimed)
 */
export class Registry {
  readonly dir: string
  private readonly warn: (message: string) => void

  constructor(opts: RegistryOptions) {
    this.dir = path.join(opts.stateDir, 'sidequests')
    this.warn = opts.warn ?? (() => {})
  }

  fileFor(pid: number): string {
    return path.join(this.dir, `${pid}.json`)
  }

  /** Every readable record, ended ones included, oldest first. Corrupt files are skipped with a warning. */
  async all(): Promise<SidequestRecord[]> {
    return this.read(() => true)
  }

  private async read(keep: (pid: number) => boolean): Promise<SidequestRecord[]> {
    let names: string[]
    try {
      names = await readdir(this.dir)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw error
    }
    const uid = currentUid()
    const records: SidequestRecord[] = []
    // NOTE: synchronous on purpose: records are small and in the page cache, and a
    // promise per file costs more than the read itself at 10,000 records
    // (and holds every buffer at once).
    for (const name of names) {
      if (!/^\d+\.json$/.test(name) || !keep(Number(name.slice(0, -5)))) continue
      const record = this.readOne(path.join(this.dir, name), uid)
      if (record) records.push(record)
    }
    return records.sort((a, b) => (a.started_at < b.started_at ? -1 : a.started_at > b.started_at ? 1 : a.pid - b.pid))
  }

  /** One record file, or undefined (with a warning unless it vanished) when it can't be used. */
  private readOne(file: string, uid: number | undefined, warn = this.warn): SidequestRecord | undefined {
    let fd: number | undefined
    try {
      // NOTE: O_NOFOLLOW and O_NONBLOCK: a symlink (to /dev/zero, say) is refused and a
      // FIFO opens without waiting for a writer; fstat then says what it really is.
      fd = openSync(file, RECORD_OPEN_FLAGS)
      const st = fstatSync(fd)
      if (!st.isFile()) {
        warn(`warning: skipping ${file}: not a regular file; remove it if you did not put it there`)
        return undefined
      }
      if (st.size > MAX_RECORD_BYTES) {
        warn(`warning: skipping ${file}: ${st.size} bytes is far more than a record; remove it if you did not put it there`)
        return undefined
      }
      if (uid !== undefined && st.uid !== uid) {
        warn(`warning: skipping ${file}: owned by uid ${st.uid}, not you; remove it if you did not put it there`)
        return undefined
      }
      const parsed: unknown = JSON.parse(readFileSync(fd, 'utf8'))
      if (!isRecord(parsed)) {
        warn(`warning: skipping ${file}: not a sidequest record`)
        return undefined
      }
      return normalise(parsed)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ELOOP') warn(`warning: skipping ${file}: a symbolic link, not a record; remove it if you did not put it there`)
      else if (code !== 'ENOENT') warn(`warning: skipping corrupt record ${file}: ${(error as Error).message}`)
      return undefined
    } finally {
      if (fd !== undefined) closeSync(fd)
    }
  }

  /** Workers whose process is alive and is the one recorded, oldest first. */
  async active(): Promise<SidequestRecord[]> {
    // A record is named after its pid, and a dead pid can't be active: skip
    // reading those at all (most records in a long-lived registry have ended).
    return (await this.read(livePidFilter())).filter((r) => isActive(r))
  }

  async get(pid: number): Promise<SidequestRecord | undefined> {
    if (!Number.isInteger(pid) || pid <= 0) return undefined
    return this.readOne(this.fileFor(pid), currentUid())
  }

  /**
   * Every (active worker, claim) pair overlapping `target`. Relative paths
   * resolve against `cwd`; symlinks are resolved.
   */
  async conflicts(target: string, cwd = process.cwd()): Promise<Conflict[]> {
    return findConflicts(await this.active(), canonicalPath(target, cwd))
  }

  /** Write a record atomically (temp file + rename), 0600. */
  async write(record: SidequestRecord): Promise<void> {
    await mkdir(this.dir, {recursive: true, mode: 0o700})
    const file = this.fileFor(record.pid)
    const tmp = path.join(this.dir, `.${record.pid}.${process.pid}.${Date.now()}.tmp`)
    try {
      await writeFile(tmp, JSON.stringify(record, null, 2) + '\n', {mode: 0o600, flag: 'wx'})
      await rename(tmp, file)
    } catch (error) {
      // A full disk must not leave half-written temp files behind; the old record stays whole.
      await unlink(tmp).catch(() => {})
      throw new Error(`could not write the registry record ${file}: ${(error as Error).message}`)
    }
  }

  /** Merge fields into an existing record, atomically. Returns the new record, or undefined when it is gone. */
  async update(pid: number, patch: Partial<SidequestRecord>): Promise<SidequestRecord | undefined> {
    const current = await this.get(pid)
    if (!current) return undefined
    const next = {...current, ...patch}
    await this.write(next)
    return next
  }

  async remove(pid: number): Promise<void> {
    await unlink(this.fileFor(pid)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error
    })
  }

  /** Does the registry directory exist and is it a real directory (not a symlink)? */
  exists(): boolean {
    try {
      return lstatSync(this.dir).isDirectory()
    } catch {
      return false
    }
  }
}
