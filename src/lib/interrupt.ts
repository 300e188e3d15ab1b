/**
 * What Ctrl-C, SIGTERM or SIGHUP means during a dispatch depends on how far it got
 * (SPEC §7, issue #11):
 * - before the worker exists, everything made for it is undone (its log, the
 *   supervisor waiting for a spec; the registry lock goes with the process)
 *   and dispatch says nothing was started;
 * - while the supervisor is starting claude, the signal waits the few
 *   milliseconds until we know whether a worker exists, so the message is true;
 * - once the worker runs, it keeps running (it is detached on purpose) and
 *   dispatch says which pid and how to follow it.
 */
import {InterruptedError} from './errors.js'
import {isSameProcessAlive} from './proc.js'
import {recordKey, type SidequestRecord} from './registry/index.js'

// SIGHUP: the terminal closed under the dispatch; it is undone the same way (exit 129).
const INTERRUPT_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']

/** The message for an interruption at a given stage. Pure. */
export function interruptedError(signal: NodeJS.Signals, worker?: {pid: number; ref: string; alive: boolean; job_id?: string | null; runner?: SidequestRecord['runner']}): InterruptedError {
  if (!worker) return new InterruptedError('Interrupted before the worker started; nothing was started.', signal)
  const key = recordKey({pid: worker.pid, runner: worker.runner ?? (worker.job_id ? 'slurm' : 'local'), job_id: worker.job_id})
  // A Slurm job is the scheduler's from submission on: it stays queued or running.
  if (worker.job_id) return new InterruptedError(`Interrupted; Slurm job ${worker.job_id} keeps its place (dispatch status ${worker.ref}, or dispatch stop ${worker.ref}).`, signal, worker.pid || undefined, key)
  const what = worker.alive ? 'keeps running' : 'has already ended'
  return new InterruptedError(`Interrupted; worker pid ${worker.pid} ${what} (dispatch status ${worker.ref}).`, signal, worker.pid, key)
}

export class StartGuard {
  /** Rejects with an InterruptedError once a signal is handled; never resolves. */
  readonly interrupted: Promise<never>
  private reject!: (error: InterruptedError) => void
  private readonly undos = new Set<() => void>()
  private holding = false
  private pending?: NodeJS.Signals
  private worker?: SidequestRecord
  private fired = false

  constructor() {
    this.interrupted = new Promise<never>((_, reject) => {
      this.reject = reject
    })
    // Nobody may be racing it yet; an interruption is reported through race(), not as an unhandled rejection.
    this.interrupted.catch(() => {})
  }

  /** Something to take back if the dispatch is interrupted before a worker starts. Returns a function that forgets it. */
  undo(fn: () => void): () => void {
    this.undos.add(fn)
    return () => this.undos.delete(fn)
  }

  /** The supervisor has the spec: a worker may exist any moment, so a signal waits for the answer. */
  hold(): void {
    this.holding = true
  }

  /** The worker runs: nothing is undone any more. */
  started(record: SidequestRecord): void {
    this.worker = record
    this.undos.clear()
    this.release()
  }

  /** The supervisor reported that no worker started. */
  notStarted(): void {
    this.release()
  }

  interrupt(signal: NodeJS.Signals): void {
    if (this.fired) return
    if (this.holding) {
      this.pending ??= signal
      return
    }
    this.fired = true
    if (!this.worker) {
      for (const fn of [...this.undos].reverse()) {
        try {
          fn()
        } catch {
          // Best-effort: one failed undo must not keep the others from running.
        }
      }
      this.undos.clear()
    }
    const w = this.worker
    this.reject(interruptedError(signal, w && {pid: w.pid, ref: w.ref, alive: isSameProcessAlive(w.pid, w.pid_start_time), job_id: w.job_id, runner: w.runner}))
  }

  /**
   * Run `work` with SIGINT, SIGTERM and SIGHUP turned into an InterruptedError.
   * The handlers go away when `work` settles, so a later signal does what it
   * always does.
   */
  async race<T>(work: () => Promise<T>): Promise<T> {
    const handler = (signal: NodeJS.Signals) => this.interrupt(signal)
    for (const s of INTERRUPT_SIGNALS) process.on(s, handler)
    try {
      return await Promise.race([work(), this.interrupted])
    } finally {
      for (const s of INTERRUPT_SIGNALS) process.off(s, handler)
    }
  }

  private release(): void {
    this.holding = false
    const signal = this.pending
    this.pending = undefined
    if (signal) this.interrupt(signal)
  }
}
