import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'

import {FailureError, NotFoundError, PolicyError} from './errors.js'
import {isActive, type SidequestRecord} from './registry.js'

/** Why a worker cannot be taken over, or undefined when it can. Pure apart from the liveness check. */
export function attachRefusal(r: SidequestRecord, alive = isActive(r)): Error | undefined {
  if (alive) {
    return new PolicyError(`The worker for ${r.ref} (pid ${r.pid}) is still running; attach once it has stopped.`, `Follow it meanwhile: dispatch status --pid ${r.pid} --follow`)
  }
  if (!r.claude_session_id) {
    const why = r.mode === 'interactive' ? 'it was an interactive session (resume it from Claude itself)' : r.ended_at ? 'its log has no session id (it stopped before Claude started a session)' : 'it ended without its supervisor writing the session id'
    return new FailureError(`The worker for ${r.ref} (pid ${r.pid}) cannot be resumed: ${why}.`, r.log_path ? `Its log is ${r.log_path}.` : 'Dispatch the issue again.')
  }
  if (!existsSync(r.cwd)) {
    return new NotFoundError(`The worktree ${r.cwd} of ${r.ref} is gone (reaped or removed).`, `Dispatch the issue again, or resume by hand: claude --resume ${r.claude_session_id}`)
  }
  return undefined
}

/** Run `claude --resume <id>` in the worker's worktree in this terminal; resolves with claude's exit code. */
export function resumeInForeground(claudeBin: string, r: SidequestRecord, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(claudeBin, ['--resume', r.claude_session_id!], {cwd: r.cwd, stdio: 'inherit', env})
    child.once('error', (error) => reject(new FailureError(`Could not start ${claudeBin}: ${error.message}.`, 'Check --claude-bin / claude.bin.')))
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 + 15 : 1)))
  })
}
