import {FailureError} from '../errors.js'
import {bodyTooLarge, cappedFetch, type CapState} from './body.js'
import {makeOctokit, stopWhenAborted, type Octokit} from './github-client.js'
import {errorForStatus, networkError, timeoutError} from './http-errors.js'
import {GITHUB_PAGE, MAX_PAGES, hasNextPage, issuesOfPage, listingWhat} from './listing.js'
import {checkedNumber, checkedWebUrl, repoFromApiUrl, type Reporter} from './names.js'
import {commentNotes, failedCheckRuns, failedStatuses, feedbackSince, reviewsOf, type FailedCheck, type ReviewNote} from './loop.js'
import {checkRunVerdict, combineChecks, commitStatusVerdict, pickPullRequest} from './pulls.js'
import type {ChecksState, Forge, ForgeIssue, ForgePullRequest, ListedIssue} from './types.js'

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

export class GitHubForge implements Forge {
  readonly kind = 'github' as const
  readonly host: string
  #octokit?: Promise<Octokit>
  /** GETs answered before, by URL and query: a conditional request (If-None-Match) that gets 304 reuses the answer and costs no rate limit. */
  readonly #etags = new Map<string, {etag: string; data: unknown}>()

  constructor(private readonly opts: GitHubOptions) {
    this.host = new URL(opts.apiUrl).host
  }

  private tokenHint(): string {
    return this.opts.token ? 'check GH_TOKEN / gh auth status' : 'set GH_TOKEN or run gh auth login'
  }

  private octokit(): Promise<Octokit> {
    this.#octokit ??= makeOctokit({...this.opts, host: this.host})
    return this.#octokit
  }

  private translate(error: unknown, what: string, signal: AbortSignal, cap: CapState): Error {
    if (cap.exceeded) return bodyTooLarge(this.host)
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
    const cap: CapState = {exceeded: false}
    let data: Record<string, unknown>
    try {
      const res = await octokit.request('GET /repos/{owner}/{repo}/issues/{issue_number}', {owner, repo, issue_number: number, request: {signal, fetch: stopWhenAborted(cappedFetch(cap), signal)}})
      data = res.data as unknown as Record<string, unknown>
    } catch (error) {
      throw this.translate(error, what, signal, cap)
    }
    // Octokit turns a body it could not read into empty data; the cap says why.
    if (cap.exceeded) throw bodyTooLarge(this.host)
    if (data === null || typeof data !== 'object' || typeof data.repository_url !== 'string' || data.repository_url === '') {
      throw new FailureError(`${this.host} returned ${what} without a repository_url.`, 'Is github.apiUrl pointing at a GitHub API?')
    }
    const r: Reporter = {host: this.host, what}
    const canonical = repoFromApiUrl(r, data.repository_url, this.opts.apiUrl)
    const n = checkedNumber(r, data.number, number)
    return {
      forge: 'github',
      owner: canonical.owner,
      repo: canonical.repo,
      number: n,
      title: String(data.title ?? ''),
      body: typeof data.body === 'string' ? data.body : '',
      state: typeof data.state === 'string' ? data.state.toLowerCase() : '',
      url: checkedWebUrl(r, data.html_url, canonical, `${this.opts.webUrl}/${canonical.owner}/${canonical.repo}/issues/${n}`),
      apiUrl: String(data.url ?? ''),
      isPullRequest: data.pull_request !== undefined && data.pull_request !== null,
      webBase: this.opts.webUrl,
    }
  }

  /**
   * GET with the issue fetch's rules: the forge timeout (and the caller's
   * signal, when it gives up sooner), retries and rate limits through the
   * plugins, the body cap.
   */
  private async get<T>(route: string, params: Record<string, unknown>, what: string, outer?: AbortSignal): Promise<T> {
    const octokit = await this.octokit()
    const timeout = AbortSignal.timeout(this.opts.timeoutMs)
    const signal = outer ? AbortSignal.any([timeout, outer]) : timeout
    const cap: CapState = {exceeded: false}
    const key = `${route} ${JSON.stringify(params)}`
    const known = this.#etags.get(key)
    try {
      const res = await octokit.request(route, {...params, ...(known ? {headers: {'if-none-match': known.etag}} : {}), request: {signal, fetch: stopWhenAborted(cappedFetch(cap), signal)}})
      if (cap.exceeded) throw bodyTooLarge(this.host)
      const etag = (res.headers as Record<string, string | undefined>).etag
      if (etag) this.#etags.set(key, {etag, data: res.data})
      return res.data as T
    } catch (error) {
      // Not modified: the answer we have is the answer.
      if (known && (error as RequestErrorLike)?.status === 304) return known.data as T
      throw this.translate(error, what, signal, cap)
    }
  }

  /** POST or PATCH with the same rules as `get` (no retry of a write the forge may have done: the plugins retry only 5xx). */
  private async send<T>(route: string, params: Record<string, unknown>, what: string, outer?: AbortSignal): Promise<T> {
    const octokit = await this.octokit()
    const timeout = AbortSignal.timeout(this.opts.timeoutMs)
    const signal = outer ? AbortSignal.any([timeout, outer]) : timeout
    const cap: CapState = {exceeded: false}
    try {
      const res = await octokit.request(route, {...params, request: {signal, fetch: stopWhenAborted(cappedFetch(cap), signal)}})
      return res.data as T
    } catch (error) {
      throw this.translate(error, what, signal, cap)
    }
  }

  async checkDetails(owner: string, repo: string, sha: string, opts: {signal?: AbortSignal} = {}): Promise<{state: ChecksState; failed: FailedCheck[]}> {
    const at = `${owner}/${repo}@${sha.slice(0, 12)}`
    const [runs, status] = await Promise.all([
      this.get<{check_runs?: Array<{status?: unknown; conclusion?: unknown}>}>('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', {owner, repo, ref: sha, per_page: 100}, `the check runs of ${at}`, opts.signal),
      this.get<{statuses?: Array<{state?: unknown}>}>('GET /repos/{owner}/{repo}/commits/{ref}/status', {owner, repo, ref: sha, per_page: 100}, `the commit status of ${at}`, opts.signal),
    ])
    const state = combineChecks([...(runs?.check_runs ?? []).map((r) => checkRunVerdict(r)), ...(status?.statuses ?? []).map((s) => commitStatusVerdict(s.state))])
    return {state, failed: [...failedCheckRuns(runs?.check_runs), ...failedStatuses(status?.statuses)]}
  }

  async reviewNotes(owner: string, repo: string, number: number, opts: {since?: string; signal?: AbortSignal} = {}): Promise<{changesRequested: boolean; notes: ReviewNote[]}> {
    const pr = `${owner}/${repo}#${number}`
    const reviews = reviewsOf(await this.get<unknown>('GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews', {owner, repo, pull_number: number, per_page: 100}, `the reviews of ${pr}`, opts.signal))
    // Every inline comment belongs to a review (a lone one makes a COMMENTED review): no review since, no comment since.
    const since = opts.since ? Date.parse(opts.since) : undefined
    const fresh = reviews.some((r) => r.at !== null && r.state !== 'PENDING' && (since === undefined || Date.parse(r.at) > since))
    const comments = fresh ? await this.get<unknown>('GET /repos/{owner}/{repo}/pulls/{pull_number}/comments', {owner, repo, pull_number: number, per_page: 100, ...(opts.since ? {since: opts.since} : {})}, `the review comments of ${pr}`, opts.signal) : []
    return feedbackSince(reviews, commentNotes(comments), opts.since)
  }

  async createIssueComment(owner: string, repo: string, number: number, body: string, opts: {signal?: AbortSignal} = {}): Promise<{id: number; url: string}> {
    const data = await this.send<{id?: unknown; html_url?: unknown}>('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {owner, repo, issue_number: number, body}, `a comment on ${owner}/${repo}#${number}`, opts.signal)
    if (typeof data?.id !== 'number') throw new FailureError(`${this.host} did not say which comment it made on ${owner}/${repo}#${number}.`, 'Is github.apiUrl pointing at a GitHub API?')
    return {id: data.id, url: typeof data.html_url === 'string' ? data.html_url : ''}
  }

  async updateIssueComment(owner: string, repo: string, id: number, body: string, opts: {signal?: AbortSignal} = {}): Promise<void> {
    await this.send('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', {owner, repo, comment_id: id, body}, `comment ${id} on ${owner}/${repo}`, opts.signal)
  }

  async findPullRequest(owner: string, repo: string, branch: string, opts: {signal?: AbortSignal} = {}): Promise<ForgePullRequest | null> {
    // head=<owner>:<branch> names the branch in the repository itself (a fork's would carry its owner).
    const data = await this.get<unknown>(
      'GET /repos/{owner}/{repo}/pulls',
      {owner, repo, head: `${owner}:${branch}`, state: 'all', per_page: 30},
      `the pull requests of ${owner}/${repo} from ${branch}`,
      opts.signal,
    )
    if (!Array.isArray(data)) throw new FailureError(`${this.host} returned the pull requests of ${owner}/${repo} as something other than a list.`, 'Is github.apiUrl pointing at a GitHub API?')
    const pulls: ForgePullRequest[] = []
    for (const p of data as Array<Record<string, unknown>>) {
      const head = (p?.head ?? {}) as {ref?: unknown; sha?: unknown}
      // The filter is the server's; a pull request of another branch must not speak for this one.
      if (head.ref !== branch || typeof p.number !== 'number' || typeof head.sha !== 'string') continue
      const state = p.merged_at ? 'merged' : p.state === 'open' ? (p.draft === true ? 'draft' : 'open') : 'closed'
      pulls.push({number: p.number, url: typeof p.html_url === 'string' ? p.html_url : `${this.opts.webUrl}/${owner}/${repo}/pull/${p.number}`, state, headSha: head.sha})
    }
    return pickPullRequest(pulls)
  }

  async checks(owner: string, repo: string, sha: string, opts: {signal?: AbortSignal} = {}): Promise<ChecksState> {
    // GitHub keeps two kinds: check runs (Actions and apps) and commit statuses (older integrations).
    const [runs, status] = await Promise.all([
      this.get<{check_runs?: Array<{status?: unknown; conclusion?: unknown}>}>(
        'GET /repos/{owner}/{repo}/commits/{ref}/check-runs',
        {owner, repo, ref: sha, per_page: 100},
        `the check runs of ${owner}/${repo}@${sha.slice(0, 12)}`,
        opts.signal,
      ),
      this.get<{total_count?: unknown; statuses?: Array<{state?: unknown}>}>(
        'GET /repos/{owner}/{repo}/commits/{ref}/status',
        {owner, repo, ref: sha, per_page: 100},
        `the commit status of ${owner}/${repo}@${sha.slice(0, 12)}`,
        opts.signal,
      ),
    ])
    // NOTE: with no statuses at all, the combined state is "pending"; the individual statuses are what count.
    return combineChecks([...(runs?.check_runs ?? []).map((r) => checkRunVerdict(r)), ...(status?.statuses ?? []).map((s) => commitStatusVerdict(s.state))])
  }

  async listOpenIssues(owner: string, repo: string, label: string, limit: number): Promise<ListedIssue[]> {
    const octokit = await this.octokit()
    const what = listingWhat(owner, repo, label)
    const out: ListedIssue[] = []
    for (let page = 1; page <= MAX_PAGES && out.length < limit; page++) {
      // Each page gets the deadline, retries, throttling and body cap of an issue fetch.
      const signal = AbortSignal.timeout(this.opts.timeoutMs)
      const cap: CapState = {exceeded: false}
      let res: {data: unknown; headers: {link?: string; etag?: string}}
      // dispatch watch lists the same pages every pass: unchanged ones come back 304 and cost no rate limit.
      const key = `listing ${owner}/${repo} ${label} ${page}`
      const known = this.#etags.get(key) as {etag: string; data: {data: unknown; link?: string}} | undefined
      try {
        res = await octokit.request('GET /repos/{owner}/{repo}/issues', {owner, repo, labels: label, state: 'open', per_page: GITHUB_PAGE, page, ...(known ? {headers: {'if-none-match': known.etag}} : {}), request: {signal, fetch: stopWhenAborted(cappedFetch(cap), signal)}})
        if (res.headers.etag && !cap.exceeded) this.#etags.set(key, {etag: res.headers.etag, data: {data: res.data, link: res.headers.link}})
      } catch (error) {
        if (!known || (error as RequestErrorLike)?.status !== 304) throw this.translate(error, what, signal, cap)
        res = {data: known.data.data, headers: {link: known.data.link}}
      }
      if (cap.exceeded) throw bodyTooLarge(this.host)
      out.push(...issuesOfPage(this.host, what, res.data, label))
      if (!hasNextPage(res.headers.link)) break
    }
    return out.slice(0, limit)
  }

  async ping(): Promise<string> {
    const octokit = await this.octokit()
    const signal = AbortSignal.timeout(this.opts.timeoutMs)
    const cap: CapState = {exceeded: false}
    try {
      const res = await octokit.request('GET /rate_limit', {request: {signal, retries: 0, fetch: cappedFetch(cap)}})
      if (cap.exceeded) throw bodyTooLarge(this.host)
      const core = (res.data as {resources?: {core?: {remaining?: number; limit?: number}}}).resources?.core
      return core ? `rate limit ${core.remaining}/${core.limit}` : 'reachable'
    } catch (error) {
      throw this.translate(error, 'the rate limit', signal, cap)
    }
  }
}
