import {loadConfig, type Config} from './config.js'
import type {DispatchContext} from './dispatch.js'
import {createForges} from './forges/index.js'

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
