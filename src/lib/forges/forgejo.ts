import {setTimeout as delay} from 'node:timers/promises'

import {FailureError} from '../errors.js'
import {errorForStatus, networkError, timeoutError} from './http-errors.js'
import type {Forge, ForgeIssue} from './types.js'

export interface ForgejoOptions {
  baseUrl: string
  apiUrl: string
  token?: string
  tokenEnv: string
  timeoutMs: number
  retries?: number
  retryBaseMs?: number
}

/** Forgejo (and Gitea) REST API v1: just the issue endpoint. */
export class ForgejoForge implements Forge {
  readonly kind = 'forgejo' as const
  readonly host: string

  constructor(private readonly opts: ForgejoOptions) {
    this.host = new URL(opts.apiUrl).host
  }

  private tokenHint(): string {
    return `set ${this.opts.tokenEnv} to a Forgejo access token`
  }

  /** GET with an overall deadline, retrying 5xx and network errors a bounded number of times. */
  private async get(url: string, what: string): Promise<unknown> {
    const signal = AbortSignal.timeout(this.opts.timeoutMs)
    const retries = this.opts.retries ?? 2
    const headers: Record<string, string> = {accept: 'application/json', 'user-agent': 'issue-dispatch'}
    if (this.opts.token) headers.authorization = `token ${this.opts.token}`
    for (let attempt = 0; ; attempt++) {
      let res: Response
      try {
        res = await fetch(url, {headers, signal, redirect: 'follow'})
      } catch (error) {
        if (signal.aborted) throw timeoutError(this.host, this.opts.timeoutMs)
        if (attempt < retries) {
          await delay((attempt + 1) ** 2 * (this.opts.retryBaseMs ?? 300))
          continue
        }
        throw networkError(this.host, error)
      }
      if (res.ok) {
        try {
          return await res.json()
        } catch (error) {
          if (signal.aborted) throw timeoutError(this.host, this.opts.timeoutMs)
          throw new FailureError(`${this.host} returned something that is not JSON for ${what}.`, 'Is forgejo.apiUrl right?')
        }
      }
      await res.body?.cancel().catch(() => {})
      if (res.status >= 500 && attempt < retries) {
        await delay((attempt + 1) ** 2 * (this.opts.retryBaseMs ?? 300))
        continue
      }
      let resetAt: Date | undefined
      const reset = res.headers.get('x-ratelimit-reset')
      const retryAfter = res.headers.get('retry-after')
      if (reset && /^\d+$/.test(reset)) resetAt = new Date(Number(reset) * 1000)
      else if (retryAfter && /^\d+$/.test(retryAfter)) resetAt = new Date(Date.now() + Number(retryAfter) * 1000)
      throw errorForStatus(res.status, what, this.host, {resetAt, tokenHint: this.tokenHint()})
    }
  }

  async getIssue(owner: string, repo: string, number: number): Promise<ForgeIssue> {
    const what = `issue ${owner}/${repo}#${number}`
    const apiUrl = `${this.opts.apiUrl}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/issues/${number}`
    const data = (await this.get(apiUrl, what)) as Record<string, unknown>
    const repository = data.repository as {owner?: unknown; name?: unknown; full_name?: unknown} | undefined
    let canonical: {owner: string; repo: string} | undefined
    if (repository && typeof repository.owner === 'string' && typeof repository.name === 'string') {
      canonical = {owner: repository.owner, repo: repository.name}
    } else if (repository && typeof repository.full_name === 'string' && repository.full_name.includes('/')) {
      const [o, r] = repository.full_name.split('/')
      canonical = {owner: o, repo: r}
    }
    if (!canonical) throw new FailureError(`${this.host} returned ${what} without its repository.`, 'Is forgejo.apiUrl pointing at a Forgejo API?')
    return {
      forge: 'forgejo',
      owner: canonical.owner,
      repo: canonical.repo,
      number: typeof data.number === 'number' ? data.number : number,
      title: String(data.title ?? ''),
      body: typeof data.body === 'string' ? data.body : '',
      state: typeof data.state === 'string' ? data.state.toLowerCase() : '',
      url: String(data.html_url ?? `${this.opts.baseUrl}/${canonical.owner}/${canonical.repo}/issues/${number}`),
      apiUrl: `${this.opts.apiUrl}/repos/${canonical.owner}/${canonical.repo}/issues/${number}`,
      isPullRequest: data.pull_request !== undefined && data.pull_request !== null,
      webBase: this.opts.baseUrl,
    }
  }

  async ping(): Promise<string> {
    const data = (await this.get(`${this.opts.apiUrl}/version`, 'the version')) as {version?: string}
    return data?.version ? `Forgejo ${data.version}` : 'reachable'
  }
}
