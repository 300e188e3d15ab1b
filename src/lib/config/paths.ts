import os from 'node:os'
import path from 'node:path'

export function homeDir(env: NodeJS.ProcessEnv): string {
  return env.HOME || os.homedir()
}

export function expandHome(p: string, env: NodeJS.ProcessEnv): string {
  if (p === '~') return homeDir(env)
  if (p.startsWith('~/')) return path.join(homeDir(env), p.slice(2))
  return p
}

export function resolvePath(p: string, baseDir: string, env: NodeJS.ProcessEnv): string {
  return path.resolve(baseDir, expandHome(p, env))
}

export function xdgDir(kind: 'config' | 'data' | 'state' | 'cache', env: NodeJS.ProcessEnv): string {
  const vars = {config: 'XDG_CONFIG_HOME', data: 'XDG_DATA_HOME', state: 'XDG_STATE_HOME', cache: 'XDG_CACHE_HOME'} as const
  const fallbacks = {config: '.config', data: '.local/share', state: '.local/state', cache: '.cache'} as const
  const fromEnv = env[vars[kind]]
  return fromEnv && path.isAbsolute(fromEnv) ? fromEnv : path.join(homeDir(env), fallbacks[kind])
}
