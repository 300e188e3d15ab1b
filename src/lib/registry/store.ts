import {closeSync, constants as fsConstants, fstatSync, lstatSync, openSync, readFileSync} from 'node:fs'
import {mkdir, readdir, rename, unlink, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {withLock} from '../lock.js'
import {livePidFilter} from '../proc.js'
import {conflictsWith, type Conflict} from './conflicts.js'
import {isActive} from './liveness.js'
import {MAX_RECORD_BYTES, isRecord, normalise, type SidequestRecord} from './record.js'

const RECORD_OPEN_FLAGS = fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK

const currentUid = () => (typeof process.getuid === 'function' ? process.getuid() : undefined)

export interface RegistryOptions {
  stateDir: string
  /** Called for records that are skipped (corrupt, foreign), once per message. Defaults to silence. */
  warn?: (message: string) => void
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
    // One Registry serves a whole run and some callers poll it: each skipped file is reported once.
    const warn = opts.warn ?? (() => {})
    const said = new Set<string>()
    this.warn = (message) => {
      if (said.has(message)) return
      said.add(message)
      warn(message)
    }
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

  /**
   * Merge fields into an existing record, atomically. Returns the new record, or undefined when it is gone.
   * NOTE: the supervisor (end of run) and `dispatch stop` (stopped) may update one record at the
   * same moment; the read-modify-write runs under a per-record lock so neither loses the other's fields.
   */
  async update(pid: number, patch: Partial<SidequestRecord>): Promise<SidequestRecord | undefined> {
    return withLock(path.join(path.dirname(this.dir), 'locks', `record-${pid}`), async () => {
      const current = await this.get(pid)
      if (!current) return undefined
      const next = {...current, ...patch}
      await this.write(next)
      return next
    })
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
