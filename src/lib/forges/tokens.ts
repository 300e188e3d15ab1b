
import {runForOutput} from '../subprocess.js'
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
  const args = ['auth', 'token', ...(hostname === 'github.com' ? [] : ['--hostname', hostname])]
  const fromGh = await runForOutput('gh', args, {env, timeoutMs: 3000}).then(
    (out) => out || undefined,
    () => undefined,
  )
  if (fromGh) return {token: fromGh, source: 'gh auth token'}
  return {source: 'none'}
}

export function forgejoToken(env: NodeJS.ProcessEnv, tokenEnv: string): TokenResult {
  const token = env[tokenEnv]
  return token ? {token, source: tokenEnv} : {source: 'none'}
}
