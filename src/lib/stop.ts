/**
 * `dispatch stop`: end running workers the way a person would. SIGINT first
 * (Claude Code saves its session and writes a result, so `dispatch attach`
 * can resume it), then SIGTERM, then SIGKILL to the worker's process group
 * (tool processes it started go too), each after a bounded wait. The record
 * gets `stopped: true` on top of the end the supervisor writes.
 */
import {execFile} from 'node:child_process'
import path from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'

import {FailureError, NotFoundError, UsageError} from './errors.js'
import {formatRef, parseIssueRef, type RefHosts} from './issue-ref.js'
import {isSameProcessAlive, pidExists, processGroupOf} from './proc.js'
import {workerLabel, type Registry, type Mode, type SidequestRecord} from './registry/index.js'
import {stopSlurmWorker} from './runners/slurm-stop.js'
import {cancelPrint, isPrintPlaceholder} from './interactive/print-record.js'

export type StopTarget = {ref: string} | {pid: number} | {all: true}

/** Which step ended the worker: stopped (SIGINT), terminated (SIGTERM), killed (SIGKILL). */
/** cancelled: a queued Slurm job taken out of the queue before it ran. */
export type StopOutcome = 'stopped' | 'terminated' | 'killed' | 'cancelled' | 'survived'

/** One worker `dispatch stop` acted on; the `--json` shape. */
export interface StoppedWorker {
  pid: number
  ref: string
  mode: Mode
  outcome: StopOutcome
  /** The last signal sent; null for a print line nobody pasted (no process to signal). */
  signal: NodeJS.Signals | null
  exit_code: number | null
  exit_signal: string | null
  /** Interactive sessions in tmux: the pane that was closed. */
  tmux_pane?: string
  /** Slurm workers: the job that was signalled or cancelled. */
  job_id?: string
}

const STOP_STEPS: ReadonlyArray<{signal: NodeJS.Signals; outcome: StopOutcome}> = [
  {signal: 'SIGINT', outcome: 'stopped'},
  {signal: 'SIGTERM', outcome: 'terminated'},
  {signal: 'SIGKILL', outcome: 'killed'},
]

/** Parse `--timeout` (seconds, decimals allowed) into milliseconds. Pure. */
export function parseStopTimeout(text: string): number {
  const seconds = Number(text.trim().replace(/s$/, ''))
  if (text.trim() === '' || !Number.isFinite(seconds) || seconds <= 0 || seconds > 600) {
    throw new UsageError(`--timeout must be a number of seconds between 0 and 600, got ${JSON.stringify(text)}.`, 'For example: --timeout 10')
  }
  return Math.round(seconds * 1000)
}

/** The active workers a selection names. Pure over the given records; NotFoundError when a ref or pid names none. */
export function selectStopTargets(active: readonly SidequestRecord[], target: StopTarget, hosts: RefHosts): SidequestRecord[] {
  if ('all' in target) return [...active]
  if ('pid' in target) {
    if (!Number.isInteger(target.pid) || target.pid <= 0) throw new UsageError(`--pid must be a positive integer, got ${target.pid}.`, 'See: dispatch sidequests list')
    const hit = active.filter((r) => r.pid === target.pid)
    if (hit.length === 0) throw new NotFoundError(`No active worker has pid ${target.pid}.`, 'See the active workers with: dispatch sidequests list')
    return hit
  }
  const ref = formatRef(parseIssueRef(target.ref, hosts))
  const hit = active.filter((r) => r.ref.toLowerCase() === ref.toLowerCase())
  if (hit.length === 0) throw new NotFoundError(`No active worker for ${ref}.`, 'See the active workers with: dispatch sidequests list, or what happened with: dispatch status ' + ref)
  return hit
}

export interface StopOptions {
  /** The run's Registry (from the composition root). */
  registry: Registry
  target: StopTarget
  hosts: RefHosts
  /** How long to wait after each signal before the next. */
  waitMs: number
}

async function waitUntil(check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  for (;;) {
    if (await check()) return true
    if (Date.now() >= deadline) return false
    await delay(25)
  }
}

function send(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal)
  } catch (error) {
    // Gone already (ESRCH) is what we want; anything else (EPERM) shows as survived.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error
  }
}

function closeTmuxPane(tmux: {socket: string; pane: string}): Promise<void> {
  return new Promise((resolve) => {
    execFile('tmux', ['-S', tmux.socket, 'kill-pane', '-t', tmux.pane], {timeout: 5000}, () => resolve())
  })
}

/** Signal one worker up the ladder until it is gone; then close its tmux pane and mark the record. */
async function stopOne(registry: Registry, r: SidequestRecord, waitMs: number): Promise<StoppedWorker> {
  const gone = () => !isSameProcessAlive(r.pid, r.pid_start_time)
  let outcome: StopOutcome = 'survived'
  // Which step a worker that is found gone is credited to: the last signal sent.
  let credit: StopOutcome = 'stopped'
  let signal: NodeJS.Signals = 'SIGINT'
  for (const step of STOP_STEPS) {
    if (gone()) {
      outcome = credit
      break
    }
    signal = step.signal
    credit = step.outcome
    try {
      if (step.signal === 'SIGKILL' && processGroupOf(r.pid) === r.pid) {
        // NOTE: headless workers lead their own process group (the supervisor starts them detached):
        // the group holds claude and the commands it runs, never the supervisor.
        send(-r.pid, 'SIGKILL')
      } else {
        send(r.pid, step.signal)
      }
    } catch {
      break
    }
    if (await waitUntil(gone, step.signal === 'SIGKILL' ? Math.max(waitMs, 2000) : waitMs)) {
      outcome = step.outcome
      break
    }
  }
  if (outcome === 'survived') {
    return {pid: r.pid, ref: r.ref, mode: r.mode, outcome, signal, exit_code: null, exit_signal: null}
  }
  if (r.tmux) await closeTmuxPane(r.tmux)
  // The supervisor (or session runner) writes the end of the run; give it a moment, then add ours.
  const supervisor = r.supervisor_pid
  await waitUntil(async () => Boolean((await registry.get(r.pid))?.ended_at) || !(supervisor && pidExists(supervisor)), 5000)
  const current = await registry.get(r.pid)
  const patch: Partial<SidequestRecord> = {stopped: true}
  if (!current?.ended_at) {
    // Nobody saw it end: only SIGKILL tells us how.
    patch.ended_at = new Date().toISOString()
    patch.exit_code = signal === 'SIGKILL' ? 137 : null
    patch.exit_signal = signal === 'SIGKILL' ? 'SIGKILL' : null
  }
  const updated = (await registry.update(r.pid, patch)) ?? {...r, ...patch}
  return {
    pid: r.pid,
    ref: r.ref,
    mode: r.mode,
    outcome,
    signal,
    exit_code: updated.exit_code ?? null,
    exit_signal: updated.exit_signal ?? null,
    ...(r.tmux ? {tmux_pane: r.tmux.pane} : {}),
  }
}

/**
 * A print line nobody pasted yet: no process (its pid is 0; NOTE: never
 * signal pid 0, that is this process group), so its hold ends and the line
 * stops working: cancelled, as a queued job taken out of the queue.
 */
async function stopPrint(registry: Registry, r: SidequestRecord): Promise<StoppedWorker> {
  await cancelPrint(registry, path.dirname(registry.dir), r)
  return {pid: 0, ref: r.ref, mode: r.mode, outcome: 'cancelled', signal: null, exit_code: null, exit_signal: null}
}

/**
 * Stop the selected active workers, all at once. Throws NotFoundError when a
 * ref or pid matches no active worker, FailureError when one survives SIGKILL.
 */
export async function stopWorkers(opts: StopOptions): Promise<StoppedWorker[]> {
  const {registry} = opts
  const targets = selectStopTargets(await registry.active(), opts.target, opts.hosts)
  const results = await Promise.all(targets.map((r) => (isPrintPlaceholder(r) ? stopPrint(registry, r) : r.runner === 'slurm' ? stopSlurmWorker(registry, r, opts.waitMs) : stopOne(registry, r, opts.waitMs))))
  const survivors = results.filter((s) => s.outcome === 'survived')
  if (survivors.length > 0) {
    throw new FailureError(
      `Could not stop ${survivors.map((s) => `${workerLabel(s)} (${s.ref})`).join(', ')}: still running after SIGKILL.`,
      'It may belong to another user or be stuck in the kernel; check it with: ps -o pid,stat,user -p ' + survivors.map((s) => s.pid).join(','),
    )
  }
  return results
}
