import {closeSync, constants as fsConstants, fstatSync, lstatSync, openSync, readFileSync} from 'node:fs'
import {mkdir, readdir, rename, unlink, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {withLock} from '../lock.js'
import {livePidFilter} from '../proc.js'
import {conflictsWith, type Conflict} from './conflicts.js'
import {squeueScheduler, type JobScheduler} from '../runners/slurm-scheduler.js'
import {isActive} from './liveness.js'
import {MAX_RECORD_BYTES, RECORD_NAME, isRecord, normalise, recordKey, type SidequestRecord} from './record.js'

const RECORD_OPEN_FLAGS = fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK

const currentUid = () => (typeof process.getuid === 'function' ? process.getuid() : undefined)

export interface RegistryOptions {
  stateDir: string
  /** Called for records that are skipped (corrupt, foreign). Defaults to silence. */
  warn?: (message: string) => void
  /** Where the state of Slurm jobs comes from; default: squeue, asked only when there are Slurm records. */
  scheduler?: JobScheduler
}

/** Ended Slurm jobs are still asked about for this long, so status can show how the scheduler ended them. */
const RECENTLY_ENDED_MS = 60 * 60 * 1000

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
  private readonly scheduler: JobScheduler

  constructor(opts: RegistryOptions) {
    this.dir = path.join(opts.stateDir, 'sidequests')
    this.warn = opts.warn ?? (() => {})
    this.scheduler = opts.scheduler ?? squeueScheduler()
  }

  /** A record's file; `key` is its pid, or `slurm-<job id>` (see recordKey). */
  fileFor(key: number | string): string {
    return path.join(this.dir, `${key}.json`)
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
      if (!RECORD_NAME.test(name)) continue
      // Slurm records are named after their job: the scheduler, not /proc, says whether they live.
      if (!name.startsWith('slurm-') && !keep(Number(name.slice(0, -5)))) continue
      const record = this.readOne(path.join(this.dir, name), uid)
      if (record) records.push(record)
    }
    await this.withJobStates(records)
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

  /**
   * Put what the scheduler says into Slurm records (job_state, job_reason,
   * node, and the end when the job ended without writing one): one query for
   * all of them. Not written back: the record on disk holds what the job wrote.
   */
  private async withJobStates(records: SidequestRecord[]): Promise<void> {
    const now = Date.now()
    const asked = records.filter((r) => r.runner === 'slurm' && r.job_id && (!r.ended_at || now - new Date(r.ended_at).getTime() < RECENTLY_ENDED_MS))
    if (asked.length === 0) return
    const jobs = await this.scheduler.jobs([...new Set(asked.map((r) => r.job_id!))])
    if (!jobs) {
      this.warn('warning: could not ask the Slurm scheduler (squeue) about jobs; Slurm workers without a recorded end count as active')
      return
    }
    for (const r of asked) {
      const job = jobs.get(r.job_id!)
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

  /** Workers whose process is alive and is the one recorded, oldest first. */
  async active(): Promise<SidequestRecord[]> {
    // A record is named after its pid, and a dead pid can't be active: skip
    // reading those at all (most records in a long-lived registry have ended).
    return (await this.read(livePidFilter())).filter((r) => isActive(r))
  }

  /** One record by its key (recordKey: the pid, or `slurm-<job id>`), with its job's state for Slurm. */
  async get(key: number | string): Promise<SidequestRecord | undefined> {
    const record = this.raw(key)
    if (record) await this.withJobStates([record])
    return record
  }

  /** The record as its file holds it. */
  private raw(key: number | string): SidequestRecord | undefined {
    if (typeof key === 'number' ? !Number.isInteger(key) || key <= 0 : !RECORD_NAME.test(`${key}.json`)) return undefined
    return this.readOne(this.fileFor(key), currentUid())
  }

  /**
   * Every (active worker, claim) pair overlapping `target`, a path in the
   * main checkout or any worktree of a repository (relative paths resolve
   * against `cwd`; symlinks are resolved). Claims compare within their
   * repository only.
   */
  async conflicts(target: string, cwd = process.cwd()): Promise<Conflict[]> {
    return (await conflictsWith(await this.active(), [target], cwd)).conflicts
  }

  /** Write a record atomically (temp file + rename), 0600. */
  async write(record: SidequestRecord): Promise<void> {
    await mkdir(this.dir, {recursive: true, mode: 0o700})
    const key = recordKey(record)
    const file = this.fileFor(key)
    const tmp = path.join(this.dir, `.${key}.${process.pid}.${Date.now()}.tmp`)
    try {
      await writeFile(tmp, JSON.stringify(record, null, 2) + '\n', {mode: 0o600, flag: 'wx'})
      await rename(tmp, file)
    } catch (error) {
      // A full disk must not leave half-written temp files behind; the old record stays whole.
      await unlink(tmp).catch(() => {})
      throw new Error(`could not write the registry record ${file}: ${(error as Error).message}`)
    }
  }

  /**
   * Merge fields into an existing record, atomically. Returns the new record, or undefined when it is gone.
   * NOTE: the supervisor (end of run) and `dispatch stop` (stopped) may update one record at the
   * same moment; the read-modify-write runs under a per-record lock so neither loses the other's fields.
   */
  async update(key: number | string, patch: Partial<SidequestRecord>): Promise<SidequestRecord | undefined> {
    return withLock(this.lockFor(key), async () => {
      const current = this.raw(key)
      if (!current) return undefined
      const next = {...current, ...patch}
      await this.write(next)
      return next
    })
  }

  /**
   * Write `base` under the record's key unless a record is there, then merge `patch`:
   * for Slurm, dispatch (after sbatch) and the job (when it starts) may each be first.
   */
  async upsert(base: SidequestRecord, patch: Partial<SidequestRecord> = {}): Promise<SidequestRecord> {
    const key = recordKey(base)
    return withLock(this.lockFor(key), async () => {
      const next = {...base, ...this.raw(key), ...patch}
      await this.write(next)
      return next
    })
  }

  private lockFor(key: number | string): string {
    return path.join(path.dirname(this.dir), 'locks', `record-${key}`)
  }

  async remove(key: number | string): Promise<void> {
    await unlink(this.fileFor(key)).catch((error: NodeJS.ErrnoException) => {
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
