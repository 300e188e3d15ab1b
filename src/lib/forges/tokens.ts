import {execFile} from 'node:child_process'

import {which} from '../which.js'

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
  if (!which('gh', env)) return {source: 'none'}
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

export function forgejoToken(env: NodeJS.ProcessEnv, tokenEnv: string): TokenResult {
  const token = env[tokenEnv]
  return token ? {token, source: tokenEnv} : {source: 'none'}
}
