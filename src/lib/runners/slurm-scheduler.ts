/**
 * What the Slurm scheduler says about jobs: one `squeue` call for every job
 * id a command asks about (never one per record). squeue knows pending,
 * running and recently ended jobs (MinJobAge, 5 minutes by default). sacct
 * knows more but needs accounting (slurmdbd), which many sites and the test
 * cluster run without: it is asked only about jobs squeue forgot whose record
 * has no end (a job killed before it could write one: TIMEOUT, NODE_FAIL,
 * OUT_OF_MEMORY), and where it fails such a job is judged by its record.
 */
import {execFile} from 'node:child_process'

/** One job as squeue reports it. */
export interface JobInfo {
  id: string
  state: string
  reason: string | null
  node: string | null
  /** ISO time the job ended; null while it runs or when Slurm does not say. */
  endedAt: string | null
  /** The batch script's exit code, or 128+n when a signal ended it; null while it runs. */
  exitCode: number | null
  /** The signal that ended the batch script (SIGTERM, SIGKILL…), if one did. */
  exitSignal: string | null
}

/** Scheduler states in which a job holds (or waits for) a place: queued or running. */
export const QUEUED_STATES: ReadonlySet<string> = new Set(['PENDING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESV_DEL_HOLD', 'SUSPENDED'])
export const RUNNING_STATES: ReadonlySet<string> = new Set(['RUNNING', 'CONFIGURING', 'COMPLETING', 'SIGNALING', 'STAGE_OUT', 'RESIZING', 'STOPPED'])

export const isLiveJobState = (state: string | null | undefined): boolean => Boolean(state && (QUEUED_STATES.has(state) || RUNNING_STATES.has(state)))

// Fixed-width columns: squeue -O pads each field to its width, and an empty node list must not shift the rest.
const COLUMNS = [
  ['JobID', 24],
  ['State', 20],
  ['exit_code', 12],
  ['EndTime', 24],
  ['Reason', 40],
  ['NodeList', 200],
] as const

export const SQUEUE_FORMAT = COLUMNS.map(([name, width]) => `${name}:${width}`).join(',')

const SIGNALS: Record<number, string> = {1: 'SIGHUP', 2: 'SIGINT', 6: 'SIGABRT', 9: 'SIGKILL', 15: 'SIGTERM'}

/** squeue's exit_code is the raw wait status of the batch script. Pure. */
export function decodeWaitStatus(raw: number): {exitCode: number; exitSignal: string | null} {
  const signal = raw & 0x7f
  if (signal !== 0) return {exitCode: 128 + signal, exitSignal: SIGNALS[signal] ?? `SIG${signal}`}
  return {exitCode: (raw >> 8) & 0xff, exitSignal: null}
}

/** Slurm prints local times without a zone ("2026-11-24T19:26:09"), or N/A / Unknown / None. */
function isoOf(text: string): string | null {
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(text)) return null
  const d = new Date(text)
  return Number.isNaN(d.getTime()) ? null : d.toISOString()
}

/** Parse `squeue -h -O <SQUEUE_FORMAT>` output into jobs by id. Pure. */
export function parseSqueue(text: string): Map<string, JobInfo> {
  const jobs = new Map<string, JobInfo>()
  for (const line of text.split('\n')) {
    if (!line.trim()) continue
    const fields: string[] = []
    let at = 0
    for (const [, width] of COLUMNS) {
      fields.push(line.slice(at, at + width).trim())
      at += width
    }
    const [id, state, exit, end, reason, node] = fields
    if (!/^\d+(_\d+)?$/.test(id) || !state) continue
    const ended = !isLiveJobState(state)
    const raw = Number(exit)
    const decoded = ended && /^\d+$/.test(exit) ? decodeWaitStatus(raw) : undefined
    jobs.set(id, {
      id,
      state,
      reason: reason && reason !== 'None' ? reason : null,
      node: node && node !== '(null)' ? node : null,
      endedAt: ended ? isoOf(end) : null,
      exitCode: decoded?.exitCode ?? null,
      exitSignal: decoded?.exitSignal ?? null,
    })
  }
  return jobs
}

/** The columns asked of sacct (`-P`: separated by |, none padded). */
export const SACCT_FORMAT = 'JobIDRaw,State,ExitCode,End,NodeList,Reason'

/**
 * Parse `sacct -n -P -X -o <SACCT_FORMAT>` output into ended jobs by id (a
 * job sacct still calls live tells nothing squeue did not). Pure.
 */
export function parseSacct(text: string): Map<string, JobInfo> {
  const jobs = new Map<string, JobInfo>()
  for (const line of text.split('\n')) {
    const [id, stateText = '', exit = '', end = '', node = '', reason = ''] = line.trim().split('|')
    // "CANCELLED by 0": the state is the first word.
    const state = stateText.split(' ')[0]
    if (!/^\d+(_\d+)?$/.test(id ?? '') || !state || isLiveJobState(state)) continue
    // ExitCode is "<exit>:<signal>" of the batch script.
    const m = /^(\d+):(\d+)$/.exec(exit)
    const signal = m ? Number(m[2]) : 0
    jobs.set(id, {
      id,
      state,
      reason: reason && reason !== 'None' ? reason : null,
      node: node && node !== 'None assigned' && node !== '(null)' ? node : null,
      endedAt: isoOf(end),
      exitCode: m ? (signal ? 128 + signal : Number(m[1])) : null,
      exitSignal: signal ? (SIGNALS[signal] ?? `SIG${signal}`) : null,
    })
  }
  return jobs
}

/** Something that can tell the state of jobs; the Registry asks it once per read. */
export interface JobScheduler {
  /** undefined: the scheduler could not be asked (not installed, controller down). */
  jobs(ids: readonly string[]): Promise<Map<string, JobInfo> | undefined>
  /**
   * Ended jobs the scheduler's queue has forgotten, from its accounting
   * (sacct), for jobs submitted since `since`. undefined: no accounting
   * (no slurmdbd, as on many sites), or it could not be asked.
   */
  history?(ids: readonly string[], since: Date): Promise<Map<string, JobInfo> | undefined>
}

/** A scheduler never asked (shell completion must not wait on a cluster): Slurm workers not known to have ended count as active. */
export const unaskedScheduler: JobScheduler = {jobs: async () => undefined}

/** Run a Slurm client tool; resolves with stdout, rejects with its stderr in the message. */
export function slurmTool(cmd: string, args: readonly string[], opts: {env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number} = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, {env: opts.env, encoding: 'utf8', timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024}, (error, stdout, stderr) => {
      if (error) reject(Object.assign(new Error(`${cmd} failed: ${(stderr || error.message).trim()}`), {code: (error as NodeJS.ErrnoException).code, stderr}))
      else resolve(stdout)
    })
    if (opts.input !== undefined) child.stdin?.end(opts.input)
  })
}

/** The real scheduler, through squeue. */
export function squeueScheduler(env?: NodeJS.ProcessEnv): JobScheduler {
  return {
    async jobs(ids) {
      if (ids.length === 0) return new Map()
      // NOTE: one id alone makes squeue ask for that job and fail ("Invalid job id") once the
      // controller forgot it; two or more are filtered from the full list. Say one twice.
      const list = ids.length === 1 ? [ids[0], ids[0]] : ids
      try {
        return parseSqueue(await slurmTool('squeue', ['-h', '--states=all', `--jobs=${list.join(',')}`, '-O', SQUEUE_FORMAT], {env}))
      } catch (error) {
        if (/Invalid job id/i.test((error as {stderr?: string}).stderr ?? '')) return new Map()
        return undefined
      }
    },
    async history(ids, since) {
      if (ids.length === 0) return new Map()
      // Slurm reads -S as local time without a zone, like the times it prints.
      const pad = (n: number) => String(n).padStart(2, '0')
      const start = `${since.getFullYear()}-${pad(since.getMonth() + 1)}-${pad(since.getDate())}T${pad(since.getHours())}:${pad(since.getMinutes())}:${pad(since.getSeconds())}`
      try {
        return parseSacct(await slurmTool('sacct', ['-n', '-P', '-X', '-S', start, '-j', ids.join(','), '-o', SACCT_FORMAT], {env, timeoutMs: 10_000}))
      } catch {
        // "Slurm accounting storage is disabled": the record judges, as documented.
        return undefined
      }
    },
  }
}
