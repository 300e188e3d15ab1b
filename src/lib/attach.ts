import {existsSync} from 'node:fs'

import {FailureError, NotFoundError, PolicyError, UsageError} from './errors.js'
import {isActive, type SidequestRecord} from './registry/index.js'
import {shellQuote} from './shell.js'
import {backTo} from './views/workers.js'

/** Why a worker cannot be taken over, or undefined when it can. Pure apart from the liveness check. */
export function attachRefusal(r: SidequestRecord, alive = isActive(r)): Error | undefined {
  // An earlier attach is resumed again like the headless worker it took over.
  if (r.mode === 'interactive' && !r.attached_from) {
    // dispatch never saw an interactive session's stream; its terminal, or claude itself in the worktree, gets back to it.
    const back = backTo({...r, active: alive}) ?? `cd ${shellQuote(r.cwd)} && claude --continue`
    return new UsageError(
      `${r.ref} (pid ${r.pid}) ${alive ? 'is' : 'was'} an interactive session; dispatch attach takes over headless workers.`,
      alive ? `It is live: ${back}` : `Resume it in its worktree: ${back}`,
    )
  }
  if (alive && r.job_id) {
    const how = r.job_state === 'PENDING' ? 'is queued' : 'is still running'
    return new PolicyError(`The worker for ${r.ref} (Slurm job ${r.job_id}) ${how}; attach once it has stopped.`, `Stop it first (Claude saves its session): dispatch stop ${shellQuote(r.ref)}, then attach again. Or follow it meanwhile: dispatch status ${shellQuote(r.ref)} --follow`)
  }
  if (alive) {
    return new PolicyError(`The worker for ${r.ref} (pid ${r.pid}) is still running; attach once it has stopped.`, `Stop it first (Claude saves its session): dispatch stop --pid ${r.pid}, then attach again. Or follow it meanwhile: dispatch status --pid ${r.pid} --follow`)
  }
  if (!r.claude_session_id) {
    const why = r.ended_at ? 'its log has no session id (it stopped before Claude started a session)' : 'it ended without its supervisor writing the session id'
    return new FailureError(`The worker for ${r.ref} (pid ${r.pid}) cannot be resumed: ${why}.`, r.log_path ? `Its log is ${r.log_path}.` : 'Dispatch the issue again.')
  }
  if (!existsSync(r.cwd)) {
    return new NotFoundError(`The worktree ${r.cwd} of ${r.ref} is gone (reaped or removed).`, `Dispatch the issue again, or resume by hand: claude --resume ${r.claude_session_id}`)
  }
  return undefined
}

/**
 * A resumed session is claude's interactive UI: without a terminal on stdin and
 * stdout it cannot be driven, so refuse rather than start one nobody can reach. Pure.
 */
export function terminalRefusal(r: SidequestRecord, stdinTTY: boolean, stdoutTTY: boolean): UsageError | undefined {
  if (stdinTTY && stdoutTTY) return undefined
  const missing = !stdinTTY && !stdoutTTY ? 'stdin and stdout are not terminals' : !stdinTTY ? 'stdin is not a terminal' : 'stdout is not a terminal'
  return new UsageError(
    `dispatch attach needs a terminal: it opens ${r.ref}'s Claude session interactively, and ${missing}.`,
    `Run it in a terminal, or resume by hand in one: cd ${shellQuote(r.cwd)} && claude --resume ${r.claude_session_id}`,
  )
}
