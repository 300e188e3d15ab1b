import type {WorkerSlot} from '../bootstrap/slots.js'
import type {Config} from '../config/index.js'
import type {Mode} from '../registry/index.js'

/** Variables a running Claude session sets for its child processes (seen in Claude Code 2.1). */
const CLAUDE_SESSION_ENV = [
  'CLAUDECODE',
  'CLAUDE_CODE_SESSION_ID',
  'CLAUDE_CODE_ENTRYPOINT',
  'CLAUDE_CODE_CHILD_SESSION',
  'CLAUDE_CODE_CHILD_NOTES_DIR',
  'CLAUDE_CODE_MESSAGING_SOCKET',
  'CLAUDE_CODE_MESSAGING_TOKEN',
  'CLAUDE_CODE_SESSION_ATTENDED',
  'CLAUDE_CODE_EXECPATH',
  'CLAUDE_PID',
  'AI_AGENT',
]

/** The environment a worker runs with, from dispatch's own. Pure. */
export function workerEnv(env: NodeJS.ProcessEnv, config: Pick<Config, 'landing' | 'forgejo' | 'file'>, plan: {mode: Mode; cascadeDepth: number; slot?: WorkerSlot}): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {...env}
  // Claude sets these for the commands it runs; a worker must start a session of its own
  // and must not talk to its parent's messaging socket.
  for (const name of CLAUDE_SESSION_ENV) delete out[name]
  if (config.landing === 'none') {
    // Nothing to push: the worker gets no forge credentials.
    for (const name of ['GH_TOKEN', 'GITHUB_TOKEN', config.forgejo?.tokenEnv ?? 'FORGEJO_TOKEN']) delete out[name]
  }
  if (plan.mode === 'interactive') delete out.DISPATCH_CASCADE_DEPTH
  else out.DISPATCH_CASCADE_DEPTH = String(plan.cascadeDepth)
  // Parallel workers of one repository each get their own port range (SPEC §10).
  if (plan.slot) {
    out.DISPATCH_WORKER_INDEX = String(plan.slot.index)
    out.DISPATCH_PORT = String(plan.slot.port)
  } else {
    delete out.DISPATCH_WORKER_INDEX
    delete out.DISPATCH_PORT
  }
  // Sub-dispatches from a cascade worker use the same configuration.
  out.DISPATCH_CONFIG = config.file
  return out
}
