import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {claudeConfigFile} from './claude.js'
import {homeDir} from './config/index.js'
import {describeCause} from './errors.js'

/** How Claude Code will authenticate, named by source; never the secret itself. */
export interface ClaudeAuth {
  source?: string
  /** The provider is a cloud platform whose credentials dispatch does not check. */
  cloud?: boolean
}

/** Claude's own folder: CLAUDE_CONFIG_DIR, else ~/.claude (where a login keeps .credentials.json). */
function claudeDir(env: NodeJS.ProcessEnv): string {
  return env.CLAUDE_CONFIG_DIR || path.join(homeDir(env), '.claude')
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as unknown
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/**
 * Which credential Claude Code would use, in its own order: cloud providers,
 * the environment, an apiKeyHelper, then a logged-in account or a stored key.
 * Reads files only to see that a key is there.
 */
export function claudeAuth(env: NodeJS.ProcessEnv): ClaudeAuth {
  if (env.CLAUDE_CODE_USE_BEDROCK) return {source: 'Amazon Bedrock (CLAUDE_CODE_USE_BEDROCK)', cloud: true}
  if (env.CLAUDE_CODE_USE_VERTEX) return {source: 'Google Vertex AI (CLAUDE_CODE_USE_VERTEX)', cloud: true}
  for (const name of ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN']) if (env[name]) return {source: name}
  const settings = readJson(path.join(claudeDir(env), 'settings.json'))
  if (typeof settings?.apiKeyHelper === 'string') return {source: `apiKeyHelper in ${path.join(claudeDir(env), 'settings.json')}`}
  if (existsSync(path.join(claudeDir(env), '.credentials.json'))) return {source: `a logged-in account (${path.join(claudeDir(env), '.credentials.json')})`}
  const config = readJson(claudeConfigFile(env))
  if (config?.oauthAccount) return {source: `a logged-in account (${claudeConfigFile(env)})`}
  if (typeof config?.primaryApiKey === 'string') return {source: `an API key stored in ${claudeConfigFile(env)}`}
  return {}
}

/** The Messages API base a worker will talk to. */
function modelBaseUrl(env: NodeJS.ProcessEnv): string {
  return (env.ANTHROPIC_BASE_URL || 'https://api.anthropic.com').replace(/\/+$/, '')
}

/** Any HTTP answer means reachable; the error, with its cause, otherwise. */
export async function pingModelApi(env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ok: boolean; detail: string}> {
  const base = modelBaseUrl(env)
  try {
    const res = await fetch(base, {method: 'HEAD', signal: AbortSignal.timeout(timeoutMs), redirect: 'manual'})
    return {ok: true, detail: `${base} answers (HTTP ${res.status})`}
  } catch (error) {
    return {ok: false, detail: `${base}: ${describeCause(error)}`}
  }
}
