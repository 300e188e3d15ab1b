import type {ForgeKind} from '../issue-ref.js'

/**
 * 2: `paths_claimed` holds paths relative to the root of `repo` (SPEC §10).
 * Records of version 1 and older hold absolute paths; both are read.
 */
export const SCHEMA_VERSION = 2

/** A record is a few hundred bytes; anything past this is not one (and must not be read whole). */
export const MAX_RECORD_BYTES = 1024 * 1024

/** How a worker runs: one word for it everywhere (dispatch options, records, prompts). */
export type Mode = 'headless' | 'cascade' | 'interactive'
/** @deprecated Use Mode; kept because the library API exported it. */
export type SidequestMode = Mode

/** Where a worker runs: a detached supervisor on this machine, or a Slurm batch job. */
export type RunnerKind = 'local' | 'slurm'

/**
 * One registry record: `<stateDir>/sidequests/<pid>.json` (SPEC §5).
 * snake_case keys are the public format other tools read.
 */
export interface SidequestRecord {
  schema_version: number
  /** The claude process (on the job's node for Slurm; 0 while a Slurm job is queued). */
  pid: number
  /** Opaque OS start time of `pid`, to tell a live worker from a reused pid. */
  pid_start_time: string | null
  mode: Mode
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
  /** DISPATCH_WORKER_INDEX: the smallest index free among the repository's active workers when it started. */
  worker_index?: number | null
  /** DISPATCH_PORT: worktree.portBase + worker_index × worktree.portStride. */
  port?: number | null
  /** claude's argv as dispatch started it (the prompt is never in it): what claude was told, after any `--` override. */
  claude_args?: string[]
  /** The main checkout the worktree belongs to. */
  checkout?: string
  /** true when a short ref was not on Forgejo (404) and was found on GitHub instead. */
  forge_fallback?: boolean
  /** Interactive sessions started in another terminal: ties the record to its launch. */
  launch_id?: string
  /** Print surface, before the line is pasted: when the hold ends (ISO); the record has pid 0 and the key `print-<launch_id>`. */
  print_expires_at?: string | null
  /** `dispatch attach`: the pid of the stopped worker whose session this one resumed. */
  attached_from?: number
  /** pid of the process that owns the worker (supervisor or session runner). */
  supervisor_pid?: number | null
  ended_at?: string | null
  exit_code?: number | null
  cost_usd?: number | null
  num_turns?: number | null
  /** The tool calls claude refused (its result's permission_denials); null when the worker left no result. */
  permission_denials?: PermissionDenials | null
  /** The signal that ended the worker (HUP, INT, KILL, TERM), from the OS or a 128+n exit code. */
  exit_signal?: string | null
  /** Set by `dispatch stop`. */
  stopped?: boolean
  /** Interactive sessions in tmux: where the session runs, so `dispatch stop` can close it. */
  tmux?: {socket: string; pane: string} | null
  /** How the worker was started; records before runners existed are `local`. */
  runner?: RunnerKind
  /** Slurm: the job id sbatch gave; the record's name is `slurm-<job_id>.json`. */
  job_id?: string | null
  /** Slurm: the 0600 file that hands the job its environment; the job deletes it when it starts. */
  job_spec_file?: string | null
  /** Slurm: the node the job runs on, once it runs. */
  node?: string | null
  /**
   * Slurm: the scheduler's state of the job (PENDING, RUNNING, COMPLETED, FAILED,
   * CANCELLED, TIMEOUT, NODE_FAIL, OUT_OF_MEMORY, …) as read when the record was
   * read; absent when the scheduler no longer knows the job.
   */
  job_state?: string | null
  /** Slurm: why a job waits or ended, in the scheduler's word (Priority, Resources, JobHeldUser, NonZeroExitCode…). */
  job_reason?: string | null
  /** Set when dispatch judged the start a failure and stopped the worker. */
  crashed?: boolean
  /** Why it crashed, in a sentence. */
  error?: string | null
  /**
   * dispatch watch (src/lib/watch/): the keys below tie an issue's runs into one
   * chain, so a restarted watch knows every retry and round from the registry.
   * Records without them read as attempt 1, round 0, not watched.
   */
  /** 1 for a chain's first run; each retry (crash, limit, stall) +1; a new round starts at 1 again. */
  attempt?: number
  /** 0 before any pull-request feedback; each round of failed checks or review +1. */
  round?: number
  /** recordKey of the run this one goes on from (it resumed that run's session). */
  continues?: string | null
  /** Why watch started this run: retry, nudge (ended without commits or pull request), checks, review; null for a first run. */
  continuation?: 'retry' | 'nudge' | 'checks' | 'review' | null
  /** Started by dispatch watch. */
  watched?: boolean
  /** Set by watch just before it stopped this run: it stalled, or its issue was closed or lost its label. */
  watch_stop?: 'stalled' | 'issue-closed' | 'unlabelled' | null
  /** Set by watch on the last run of a chain it gave up on: why, in a sentence. */
  given_up?: string | null
  /** Set by watch once the chain's pull request merged or was closed without a merge. */
  watch_done?: 'merged' | 'closed' | null
  /** The tracker comment watch keeps on the issue (watch.comment), carried from run to run. */
  tracker_comment_id?: number | null
}

/** What a worker's claude could not do: the refused tool calls its result reported, and the tools refused (each once, first refused first). */
export interface PermissionDenials {
  count: number
  tools: string[]
}

export type WorkerState = 'waiting' | 'expired' | 'queued' | 'running' | 'exited' | 'stopped' | 'killed' | 'crashed' | 'unknown'

export function isRecord(value: unknown): value is SidequestRecord {
  if (value === null || typeof value !== 'object') return false
  const r = value as Record<string, unknown>
  // A queued Slurm job has no process yet: its job id names it instead.
  const slurm = r.runner === 'slurm' && typeof r.job_id === 'string' && /^\d+(_\d+)?$/.test(r.job_id)
  // So has a print line nobody pasted yet: its launch id names it.
  const print = typeof r.print_expires_at === 'string' && typeof r.launch_id === 'string' && PRINT_ID.test(r.launch_id)
  return (
    Number.isInteger(r.pid) &&
    ((r.pid as number) > 0 || ((slurm || print) && r.pid === 0)) &&
    typeof r.ref === 'string' &&
    typeof r.started_at === 'string' &&
    typeof r.cwd === 'string' &&
    Array.isArray(r.paths_claimed) &&
    (r.paths_claimed as unknown[]).every((p) => typeof p === 'string')
  )
}

/** Fill keys older records may lack, so readers see one shape. */
export function normalise(r: SidequestRecord): SidequestRecord {
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
    runner: r.runner ?? 'local',
    ...chainKeys(r),
  }
}

const CONTINUATIONS: ReadonlyArray<string | null> = ['retry', 'nudge', 'checks', 'review', null]
const WATCH_STOPS: ReadonlyArray<string | null> = ['stalled', 'issue-closed', 'unlabelled', null]
const WATCH_DONE: ReadonlyArray<string | null> = ['merged', 'closed', null]

/**
 * dispatch watch's keys as the record has them, any that are not of their
 * type dropped (a hand-edited or foreign record must not mislead watch);
 * absent keys stay absent, so an old record's JSON keeps its shape.
 */
function chainKeys(r: SidequestRecord): Partial<SidequestRecord> {
  const o = r as unknown as Record<string, unknown>
  const keep = (key: keyof SidequestRecord, ok: (v: unknown) => boolean) => (key in o ? {[key]: ok(o[key]) ? o[key] : undefined} : {})
  const count = (min: number) => (v: unknown) => Number.isInteger(v) && (v as number) >= min
  const strOrNull = (v: unknown) => v === null || typeof v === 'string'
  return {
    ...keep('attempt', count(1)),
    ...keep('round', count(0)),
    ...keep('continues', strOrNull),
    ...keep('continuation', (v) => CONTINUATIONS.includes(v as string)),
    ...keep('watched', (v) => typeof v === 'boolean'),
    ...keep('watch_stop', (v) => WATCH_STOPS.includes(v as string)),
    ...keep('given_up', strOrNull),
    ...keep('watch_done', (v) => WATCH_DONE.includes(v as string)),
    ...keep('tracker_comment_id', (v) => v === null || count(1)(v)),
  }
}

/** Where a run stands in its issue's chain; an old record is attempt 1 of round 0, not watched. Pure. */
export function chainOf(r: Pick<SidequestRecord, 'attempt' | 'round' | 'watched'>): {attempt: number; round: number; watched: boolean} {
  return {attempt: r.attempt ?? 1, round: r.round ?? 0, watched: r.watched === true}
}

/**
 * The name a record is stored under, without `.json`: the pid for local
 * workers (as always, so old records keep their names), `slurm-<job id>` for
 * Slurm ones, which exist before any process does.
 */
export function recordKey(r: Pick<SidequestRecord, 'pid' | 'runner' | 'job_id' | 'launch_id' | 'print_expires_at'>): string {
  if (r.pid === 0 && r.print_expires_at && r.launch_id) return `print-${r.launch_id}`
  return r.runner === 'slurm' && r.job_id ? `slurm-${r.job_id}` : String(r.pid)
}

/** A worker in a message: a Slurm worker by its job (pid 0 while queued, on another node after), else by pid. */
export function workerLabel(r: {pid: number; runner?: RunnerKind; job_id?: string | null}): string {
  return r.runner === 'slurm' && r.job_id ? `Slurm job ${r.job_id}` : `pid ${r.pid}`
}

/** A launch id (a UUID): what names a print placeholder. */
const PRINT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** A record name as `recordKey` makes them; anything else in the directory is not a record. */
export const RECORD_NAME = /^(\d+|slurm-\d+(_\d+)?|print-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.json$/
