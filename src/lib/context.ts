/**
 * The composition root. Every command (through BaseCommand.deps/context) and
 * the start-up fast path (src/fast.ts) get the outside world from here:
 * config, env, cwd, clock, streams with their TTY and colour facts, one
 * Registry per run, the forges and the git runner's environment. This file is
 * the only place in src/ that reads `process.env` and `process.cwd()`;
 * library code takes the narrow part it needs as parameters
 * (test/lib/composition-root.test.ts holds the rule).
 *
 * NOTE: three files are their own roots and read the process themselves:
 * src/lib/worker/supervisor.ts and src/lib/interactive/runner.ts are the
 * entry points of separate processes, and src/lib/faults.ts is a test hook
 * read before anything is wired.
 */
import {loadConfig, type Config} from './config/index.js'
import {createForges, type Forges} from './forges/index.js'
import {useGitEnv} from './git.js'
import {Registry} from './registry/index.js'
import {squeueScheduler, unaskedScheduler} from './runners/slurm-scheduler.js'
import {useColor} from './terminal.js'

/** The standard streams and the facts about them commands decide on. */
export interface Streams {
  stdout: NodeJS.WriteStream
  stderr: NodeJS.WriteStream
  stdin: NodeJS.ReadStream
  stdoutTTY: boolean
  stderrTTY: boolean
  stdinTTY: boolean
  /** Colour on stdout: a terminal, NO_COLOR unset, TERM not dumb. */
  color: boolean
  /** Columns of stdout when it is a terminal. */
  width?: number
}

/** What the process gives a run; `process` itself in production, a stand-in in tests. */
export interface ProcessLike {
  env: NodeJS.ProcessEnv
  cwd(): string
  stdout: NodeJS.WriteStream
  stderr: NodeJS.WriteStream
  stdin: NodeJS.ReadStream
}

/** Everything a command needs from the outside world, wired in one place. */
export interface Deps {
  config: Config
  env: NodeJS.ProcessEnv
  cwd: string
  now: () => Date
  streams: Streams
  /** The run's one Registry, created on first use. */
  registry: () => Registry
  /** Forges, created on first use (read-only commands never talk to one). */
  forges: () => Forges
  warn: (message: string) => void
}

/** What a dispatching command needs: Deps with the forges already made. */
export interface DispatchContext {
  config: Config
  env: NodeJS.ProcessEnv
  cwd: string
  forges: Forges
  warn: (message: string) => void
  now: () => Date
  registry: () => Registry
}

export interface DepsInput {
  configPath?: string
  /** Run on the defaults when no config exists at all (commands that only look). */
  readOnly?: boolean
  warn: (message: string) => void
  /** Never ask a Slurm controller (shell completion must not wait on a cluster). */
  noScheduler?: boolean
}

/** The process's env, cwd and streams, read once; the only reads of `process.env`/`process.cwd()` in src/ outside the separate entry points. */
export function processFacts(proc: ProcessLike = process): {env: NodeJS.ProcessEnv; cwd: string; streams: Streams} {
  const env = proc.env
  return {
    env,
    cwd: proc.cwd(),
    streams: {
      stdout: proc.stdout,
      stderr: proc.stderr,
      stdin: proc.stdin,
      stdoutTTY: Boolean(proc.stdout.isTTY),
      stderrTTY: Boolean(proc.stderr.isTTY),
      stdinTTY: Boolean(proc.stdin.isTTY),
      color: useColor(proc.stdout, env),
      width: proc.stdout.isTTY ? proc.stdout.columns : undefined,
    },
  }
}

/** The one factory: config, forges, clock, streams, registry, wired from the process (or a test's stand-in). */
export async function createDeps(input: DepsInput, proc: ProcessLike = process): Promise<Deps> {
  const {env, cwd, streams} = processFacts(proc)
  useGitEnv(env)
  const config: Config = await loadConfig({configPath: input.configPath, cwd, env, warn: input.warn, readOnly: input.readOnly})
  // The configured token variable never reaches a program git starts (SPEC §11).
  if (config.forgejo) useGitEnv(env, [config.forgejo.tokenEnv])
  let registry: Registry | undefined
  let forges: Forges | undefined
  return {
    config,
    env,
    cwd,
    streams,
    warn: input.warn,
    now: () => new Date(),
    registry: () => (registry ??= new Registry({stateDir: config.stateDir, warn: input.warn, scheduler: input.noScheduler ? unaskedScheduler : squeueScheduler(env)})),
    forges: () => (forges ??= createForges(config, env, input.warn)),
  }
}

/** The dispatching view of Deps: forges made now, so a bad forge config fails before any work. */
export function dispatchContext(deps: Deps): DispatchContext {
  return {config: deps.config, env: deps.env, cwd: deps.cwd, forges: deps.forges(), warn: deps.warn, now: deps.now, registry: deps.registry}
}
