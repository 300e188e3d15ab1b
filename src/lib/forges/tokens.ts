import {execFile} from 'node:child_process'
import {accessSync, constants} from 'node:fs'
import path from 'node:path'

export interface TokenResult {
  token?: string
  /** Where it came from, for doctor and warnings; never the token itself. */
  source: string
}

/**
 * GitHub token chain (SPEC §2): GH_TOKEN, GITHUB_TOKEN, `gh auth token`, else none.
 * NOTE: `gh` is asked with a short timeout so a broken install can't stall a dispatch.
 */
export async function githubToken(env: NodeJS.ProcessEnv, hostname: string): Promise<TokenResult> {
  if (env.GH_TOKEN) return {token: env.GH_TOKEN, source: 'GH_TOKEN'}
  if (env.GITHUB_TOKEN) return {token: env.GITHUB_TOKEN, source: 'GITHUB_TOKEN'}
  // Starting a process that turns out not to exist still costs a fork: look first.
  if (!onPath('gh', env)) return {source: 'none'}
  const fromGh = await new Promise<string | undefined>((resolve) => {
    const args = ['auth', 'token', ...(hostname === 'github.com' ? [] : ['--hostname', hostname])]
    try {
      execFile('gh', args, {env, timeout: 3000, windowsHide: true}, (error, stdout) => {
        resolve(error ? undefined : stdout.trim() || undefined)
      }).on('error', () => resolve(undefined))
    } catch {
      resolve(undefined)
    }
  })
  if (fromGh) return {token: fromGh, source: 'gh auth token'}
  return {source: 'none'}
}

function onPath(name: string, env: NodeJS.ProcessEnv): boolean {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue
    try {
      accessSync(path.join(dir, name), constants.X_OK)
      return true
    } catch {}
  }
  return false
}

export function forgejoToken(env: NodeJS.ProcessEnv, tokenEnv: string): TokenResult {
  const token = env[tokenEnv]
  return token ? {token, source: tokenEnv} : {source: 'none'}
}
