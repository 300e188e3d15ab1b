/**
 * The pull request URL for the finish notification. The supervisor asks,
 * after the worker ended, with the worker's own environment: it holds no
 * token the worker was not given (landing: none means none at all).
 */
import type {Config} from '../config/index.js'
import {ForgejoForge} from '../forges/forgejo.js'
import {GitHubForge} from '../forges/github.js'
import {forgejoToken, githubToken} from '../forges/tokens.js'
import type {SidequestRecord} from '../registry/index.js'
import {outcomeTarget} from './index.js'
import {OutcomeLookup} from './lookup.js'

/** Where the forges are, for a process that has no config of its own (the supervisor). No tokens. */
export interface OutcomeForgeSpec {
  github: {apiUrl: string; webUrl: string}
  forgejo?: {baseUrl: string; apiUrl: string; tokenEnv: string}
  timeoutMs: number
}

export function outcomeForgeSpec(config: Pick<Config, 'github' | 'forgejo' | 'timeoutMs'>): OutcomeForgeSpec {
  return {github: {apiUrl: config.github.apiUrl, webUrl: config.github.webUrl}, ...(config.forgejo ? {forgejo: {baseUrl: config.forgejo.baseUrl, apiUrl: config.forgejo.apiUrl, tokenEnv: config.forgejo.tokenEnv}} : {}), timeoutMs: config.timeoutMs}
}

/** The URL of the pull request whose head is the record's branch, when there is one and the forge answers in time. Never rejects. */
export async function pullRequestUrl(spec: OutcomeForgeSpec, record: SidequestRecord, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const target = outcomeTarget(record)
  if (!target) return undefined
  const lookup = new OutcomeLookup({
    timeoutMs: spec.timeoutMs,
    async forge(kind) {
      if (kind === 'forgejo') {
        if (!spec.forgejo) return undefined
        return new ForgejoForge({...spec.forgejo, token: forgejoToken(env, spec.forgejo.tokenEnv).token, timeoutMs: spec.timeoutMs})
      }
      const {token} = await githubToken(env, new URL(spec.github.webUrl).hostname)
      return new GitHubForge({...spec.github, token, timeoutMs: spec.timeoutMs})
    },
  })
  const outcome = await lookup.of(target).catch(() => undefined)
  return outcome?.pull_request?.url
}
