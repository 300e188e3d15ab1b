import {loadConfig, type Config} from './config/index.js'
import {createForges, type Forges} from './forges/index.js'

/** Everything a dispatching command needs from the outside world, wired in one place. */
export interface DispatchContext {
  config: Config
  env: NodeJS.ProcessEnv
  cwd: string
  forges: Forges
  warn: (message: string) => void
  now: () => Date
}

export interface ContextInput {
  configPath?: string
  cwd?: string
  env?: NodeJS.ProcessEnv
  warn: (message: string) => void
}

/** The one factory: config, forges, clock, streams, wired from the process (or a test's stand-ins). */
export async function createContext(input: ContextInput): Promise<DispatchContext> {
  const env = input.env ?? process.env
  const cwd = input.cwd ?? process.cwd()
  const config: Config = await loadConfig({configPath: input.configPath, cwd, env, warn: input.warn})
  return {config, env, cwd, warn: input.warn, forges: createForges(config, env, input.warn), now: () => new Date()}
}
