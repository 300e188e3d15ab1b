import {FailureError} from '../errors.js'
import {errorForStatus, networkError, timeoutError} from './http-errors.js'
import type {Forge, ForgeIssue} from './types.js'

export interface GitHubOptions {
  apiUrl: string
  webUrl: string
  token?: string
  timeoutMs: number
  /** Base of the retry back-off in ms (retries wait base·1, base·4). */
  retryBaseMs?: number
  warn?: (message: string) => void
}

interface RequestErrorLike {
  status?: number
  message: string
  response?: {headers?: Record<string, string | undefined>; data?: unknown}
  cause?: unknown
}

/** Parse `https://api.host/repos/OWNER/REPO` into its canonical owner and name. */
export function repoFromApiUrl(url: string): {owner: string; repo: string} | undefined {
  const m = /\/repos\/([^/]+)\/([^/]+)\/?$/.exec(url)
  return m ? {owner: decodeURIComponent(m[1]), repo: decodeURIComponent(m[2])} : undefined
}

export class GitHubForge implements Forge {
  readonly kind = 'github' as const
  readonly host: string
  #octokit?: Promise<import('@octokit/rest').Octokit>

  constructor(private readonly opts: GitHubOptions) {
    this.host = new URL(opts.apiUrl).host
  }

  private tokenHint(): string {
    return this.opts.token ? 'check GH_TOKEN / gh auth status' : 'set GH_TOKEN or run gh auth login'
  }

  private octokit(): Promise<import('@octokit/rest').Octokit> {
    // NOTE: Octokit and its plugins are imported lazily: they cost ~170 ms, which
    // commands that never talk to GitHub should not pay.
    this.#octokit ??= (async () => {
      const [{Octokit}, {throttling}, {retry}] = await Promise.all([
        import('@octokit/rest'),
        import('@octokit/plugin-throttling'),
        import('@octokit/plugin-retry'),
      ])
      const Client = Octokit.plugin(throttling, retry)
      const warn = this.opts.warn ?? (() => {})
      return new Client({
        auth: this.opts.token,
        baseUrl: this.opts.apiUrl,
        userAgent: 'issue-dispatch',
        log: {debug() {}, info() {}, warn() {}, error() {}},
        retry: {retries: 2, retryAfterBaseValue: this.opts.retryBaseMs ?? 300},
        throttle: {
          // Retry once when the limit resets soon; otherwise report it.
          onRateLimit: (retryAfter: number, _options: unknown, _o: unknown, retryCount: number) => {
            if (retryCount < 1 && retryAfter <= 5) {
              warn(`warning: ${this.host} rate limit reached; retrying in ${retryAfter} s`)
              return true
            }
            return false
          },
          onSecondaryRateLimit: (retryAfter: number, _options: unknown, _o: unknown, retryCount: number) =>
            retryCount < 1 && retryAfter <= 5,
        },
      }) as unknown as import('@octokit/rest').Octokit
    })()
    return this.#octokit
  }

  private translate(error: unknown, what: string, signal: AbortSignal): Error {
    if (signal.aborted) return timeoutError(this.host, this.opts.timeoutMs)
    const e = error as RequestErrorLike
    if (e?.response && typeof e.status === 'number') {
      const reset = e.response.headers?.['x-ratelimit-reset']
      const remaining = e.response.headers?.['x-ratelimit-remaining']
      const retryAfter = e.response.headers?.['retry-after']
      let resetAt: Date | undefined
      if (reset && (remaining === '0' || e.status === 429)) resetAt = new Date(Number(reset) * 1000)
      else if (retryAfter && /^\d+$/.test(retryAfter)) resetAt = new Date(Date.now() + Number(retryAfter) * 1000)
      return errorForStatus(e.status, what, this.host, {resetAt, tokenHint: this.tokenHint()})
    }
    return networkError(this.host, e?.cause ?? error)
  }

  async getIssue(owner: string, repo: string, number: number): Promise<ForgeIssue> {
    const octokit = await this.octokit()
    const signal = AbortSignal.timeout(this.opts.timeoutMs)
    const what = `issue ${owner}/${repo}#${number}`
    let data: Record<string, unknown>
    try {
      const res = await octokit.rest.issues.get({owner, repo, issue_number: number, request: {signal}})
      data = res.data as unknown as Record<string, unknown>
    } catch (error) {
      throw this.translate(error, what, signal)
    }
    const canonical = repoFromApiUrl(String(data.repository_url ?? ''))
    if (!canonical) {
      throw new FailureError(`${this.host} returned ${what} without a repository_url.`, 'Is github.apiUrl pointing at a GitHub API?')
    }
    return {
      forge: 'github',
      owner: canonical.owner,
      repo: canonical.repo,
      number: typeof data.number === 'number' ? data.number : number,
      title: String(data.title ?? ''),
      body: typeof data.body === 'string' ? data.body : '',
      state: typeof data.state === 'string' ? data.state.toLowerCase() : '',
      url: String(data.html_url ?? `${this.opts.webUrl}/${canonical.owner}/${canonical.repo}/issues/${number}`),
      apiUrl: String(data.url ?? ''),
      isPullRequest: data.pull_request !== undefined && data.pull_request !== null,
      webBase: this.opts.webUrl,
    }
  }

  async ping(): Promise<string> {
    const octokit = await this.octokit()
    const signal = AbortSignal.timeout(this.opts.timeoutMs)
    try {
      const res = await octokit.request('GET /rate_limit', {request: {signal, retries: 0}})
      const core = (res.data as {resources?: {core?: {remaining?: number; limit?: number}}}).resources?.core
      return core ? `rate limit ${core.remaining}/${core.limit}` : 'reachable'
    } catch (error) {
      throw this.translate(error, 'the rate limit', signal)
    }
  }
}
