import {lstatSync} from 'node:fs'
import {mkdir, readdir, rename, unlink, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {withLock} from '../lock.js'
import {livePidFilter} from '../proc.js'
import {conflictsWith, type Conflict} from './conflicts.js'
import {squeueScheduler, type JobScheduler} from '../runners/slurm-scheduler.js'
import {isActive} from './liveness.js'
import {readRecordFile} from './file.js'
import {overlayJobStates} from './jobs.js'
import {RECORD_NAME, recordKey, type SidequestRecord} from './record.js'

const currentUid = () => (typeof process.getuid === 'function' ? process.getuid() : undefined)

export interface RegistryOptions {
  stateDir: string
  /** Called for records that are skipped (corrupt, foreign), once per message. Defaults to silence. */
  warn?: (message: string) => void
  /** Where the state of Slurm jobs comes from; default: squeue, asked only when there are Slurm records. */
  scheduler?: JobScheduler
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
  private readonly scheduler: JobScheduler

  constructor(opts: RegistryOptions) {
    this.dir = path.join(opts.stateDir, 'sidequests')
    // One Registry serves a whole run and some callers poll it: each skipped file is reported once.
    const warn = opts.warn ?? (() => {})
    const said = new Set<string>()
    this.warn = (message) => {
      if (said.has(message)) return
      said.add(message)
      warn(message)
    }
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
      // So are print lines nobody pasted yet: they have no process, only an expiry.
      if (!name.startsWith('slurm-') && !name.startsWith('print-') && !keep(Number(name.slice(0, -5)))) continue
      const record = readRecordFile(path.join(this.dir, name), uid, this.warn)
      if (record) records.push(record)
    }
    await overlayJobStates(records, this.scheduler, this.warn)
    return records.sort((a, b) => (a.started_at < b.started_at ? -1 : a.started_at > b.started_at ? 1 : a.pid - b.pid))
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
    if (record) await overlayJobStates([record], this.scheduler, this.warn)
    return record
  }

  /** The record as its file holds it. */
  private raw(key: number | string): SidequestRecord | undefined {
    if (typeof key === 'number' ? !Number.isInteger(key) || key <= 0 : !RECORD_NAME.test(`${key}.json`)) return undefined
    return readRecordFile(this.fileFor(key), currentUid(), this.warn)
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
