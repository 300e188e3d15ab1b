import {closeSync, constants as fsConstants, fstatSync, lstatSync, openSync, readFileSync} from 'node:fs'
import {mkdir, readdir, rename, unlink, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {RootIndex, canonicalDir, claimOverlap, locateTargets, relativeOverlap, repoOfRef, sameRepo, type ClaimTarget, type ConflictReason, type RepoRoot} from './claims.js'
import type {ForgeKind} from './issue-ref.js'
import {withLock} from './lock.js'
import {isSameProcessAlive, livePidFilter} from './proc.js'

/**
 * 2: `paths_claimed` holds paths relative to the root of `repo` (SPEC §10).
 * Records of version 1 and older hold absolute paths; both are read.
 */
export const SCHEMA_VERSION = 2

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
  /**
   * Paths the worker declared it will edit, relative to the root of `repo`
   * (`.` for the whole repository). Records before schema 2 hold absolute
   * canonical paths instead; a reader tells them apart by path.isAbsolute.
   */
  paths_claimed: string[]
  /** `owner/repo` the claims belong to (schema 2). Older records: the repository of `ref`. */
  repo?: string
  cwd: string
  branch: string
  log_path: string | null
  cascade_depth: number
  claude_session_id: string | null
  /** The main checkout the worktree belongs to. */
  checkout?: string
  /** true when a short ref was not on Forgejo (404) and was found on GitHub instead. */
  forge_fallback?: boolean
  /** Interactive sessions started in another terminal: ties the record to its launch. */
  launch_id?: string
  /** pid of the process that owns the worker (supervisor or session runner). */
  supervisor_pid?: number | null
  ended_at?: string | null
  exit_code?: number | null
  cost_usd?: number | null
  num_turns?: number | null
  /** The signal that ended the worker (HUP, INT, KILL, TERM), from the OS or a 128+n exit code. */
  exit_signal?: string | null
  /** Set by `dispatch stop`. */
  stopped?: boolean
  /** Interactive sessions in tmux: where the session runs, so `dispatch stop` can close it. */
  tmux?: {socket: string; pane: string} | null
  /** Set when dispatch judged the start a failure and stopped the worker. */
  crashed?: boolean
  /** Why it crashed, in a sentence. */
  error?: string | null
}

/** One (active worker, claim) overlap with a queried path. */
export interface Conflict {
  pid: number
  ref: string
  /** `owner/repo` of the claim; null for an old absolute claim that lies in no known checkout or worktree. */
  repo: string | null
  /** Relative to the repository root when `repo` is set, else absolute. */
  claim: string
  /** The queried path, in the same form: repository-relative when it lies in a known repository, else absolute. */
  path: string
  reason: ConflictReason
}

export type WorkerState = 'running' | 'exited' | 'stopped' | 'killed' | 'crashed' | 'unknown'

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

/** The repository a record's claims belong to. */
export function recordRepo(record: SidequestRecord): string {
  return record.repo ?? repoOfRef(record.ref)
}

/**
 * The directories active records tell us belong to their repository: each
 * worker's worktree (`cwd`) and main checkout. Canonical; the filesystem
 * root never counts (a record naming `/` must not swallow every path).
 * NOTE: realpath costs ~10 µs, ~35 µs when the path is gone, and a big
 * registry has a thousand active records: checkouts (few, and possibly
 * symlinks) are resolved once each, worktrees through their parent
 * directory, which they share.
 */
export function recordRoots(records: readonly SidequestRecord[]): RootIndex {
  const index = new RootIndex()
  const resolved = new Map<string, string>()
  const canonical = (dir: string) => {
    let c = resolved.get(dir)
    if (c === undefined) resolved.set(dir, (c = canonicalDir(dir)))
    return c
  }
  const add = (dir: string, repo: string) => {
    if (dir !== path.parse(dir).root) index.add({dir, repo})
  }
  for (const r of records) {
    const repo = recordRepo(r)
    if (r.checkout && path.isAbsolute(r.checkout)) add(canonical(r.checkout), repo)
    if (r.cwd && path.isAbsolute(r.cwd)) add(r.cwd === r.checkout ? canonical(r.cwd) : path.join(canonical(path.dirname(r.cwd)), path.basename(r.cwd)), repo)
  }
  return index
}

/** A record's claim placed in its repository; an old absolute claim is mapped when it lies in a known root. */
function placeClaim(claim: string, record: SidequestRecord, roots: RootIndex): ClaimTarget {
  if (!path.isAbsolute(claim)) return {repo: recordRepo(record), rel: path.posix.normalize(claim), abs: claim}
  const hit = roots.locate(claim)
  return hit ? {repo: hit.repo, rel: hit.rel, abs: claim} : {repo: null, rel: null, abs: claim}
}

/** Do a claim and a target compare as repository paths: the claim's repository is the target's, or the target's could be any? Pure. */
function sameRepository(claim: ClaimTarget, target: ClaimTarget): boolean {
  return claim.repo !== null && claim.rel !== null && target.rel !== null && (target.anyRepo === true || (target.repo !== null && sameRepo(claim.repo, target.repo)))
}

/**
 * How a claim overlaps a target. Two repository paths compare only within
 * one repository; an old absolute claim in no known root compares as an
 * absolute path. `containsRootOf` says whether the target contains a root
 * of a repository. Pure.
 */
function overlap(claim: ClaimTarget, target: ClaimTarget, containsRootOf: (repo: string) => boolean): ConflictReason | undefined {
  if (sameRepository(claim, target)) return relativeOverlap(claim.rel!, target.rel!)
  if (claim.repo && target.repo) return undefined
  // A target in no known root can only contain a repository claim, by containing one of its roots.
  if (claim.repo) return containsRootOf(claim.repo) ? 'descendant' : undefined
  return claimOverlap(claim.abs, target.abs)
}

/**
 * Every overlap between the given records' claims and a target. A string
 * target is a canonical absolute path (placed in its repository through
 * `roots`); `roots` default to the records' own worktrees and checkouts.
 * Pure over its arguments.
 */
export function findConflicts(records: readonly SidequestRecord[], target: string | ClaimTarget, roots: RootIndex | readonly RepoRoot[] = recordRoots(records)): Conflict[] {
  const index = roots instanceof RootIndex ? roots : new RootIndex(roots)
  let t: ClaimTarget
  if (typeof target === 'string') {
    const hit = index.locate(target)
    t = hit ? {repo: hit.repo, rel: hit.rel, abs: target} : {repo: null, rel: null, abs: target}
  } else t = target
  const contains = new Map<string, boolean>()
  const containsRootOf = (repo: string) => {
    const key = repo.toLowerCase()
    let yes = contains.get(key)
    if (yes === undefined) contains.set(key, (yes = index.dirsOf(repo).some((dir) => claimOverlap(dir, t.abs) === 'descendant')))
    return yes
  }
  const out: Conflict[] = []
  for (const r of records) {
    for (const raw of r.paths_claimed) {
      const claim = placeClaim(raw, r, index)
      const reason = overlap(claim, t, containsRootOf)
      if (reason) out.push({pid: r.pid, ref: r.ref, repo: claim.repo, claim: claim.rel ?? claim.abs, path: sameRepository(claim, t) ? t.rel! : t.abs, reason})
    }
  }
  return out
}

/**
 * Conflicts of the given paths with the given active records, each path
 * placed in its repository first (relative paths against `cwd`). Returns the
 * targets too, so callers can say how a path was read.
 */
export async function conflictsWith(active: readonly SidequestRecord[], paths: readonly string[], cwd: string): Promise<{conflicts: Conflict[]; targets: ClaimTarget[]}> {
  const roots = recordRoots(active)
  const targets = await locateTargets(paths, cwd, roots)
  return {conflicts: targets.flatMap((t) => findConflicts(active, t, roots)), targets}
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
