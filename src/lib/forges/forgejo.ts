import {setTimeout as delay} from 'node:timers/promises'

import {FailureError} from '../errors.js'
import {readCapped} from './body.js'
import {IssueNotFoundError, errorForStatus, networkError, timeoutError} from './http-errors.js'
import {FORGEJO_PAGE, MAX_PAGES, hasNextPage, issuesOfPage, listingWhat} from './listing.js'
import {checkedNumber, checkedRepo, checkedWebUrl, refusedName, type Reporter} from './names.js'
import {commentNotes, failedStatuses, feedbackSince, reviewsOf, type FailedCheck, type ReviewNote} from './loop.js'
import {combineChecks, commitStatusVerdict, pickPullRequest} from './pulls.js'
import type {ChecksState, Forge, ForgeIssue, ForgePullRequest, ListedIssue} from './types.js'

export interface ForgejoOptions {
  baseUrl: string
  apiUrl: string
  token?: string
  tokenEnv: string
  timeoutMs: number
  retries?: number
  retryBaseMs?: number
}

/** Forgejo (and Gitea) REST API v1: issues, the issue list by label, pull requests by head branch, commit statuses. */
export class ForgejoForge implements Forge {
  readonly kind = 'forgejo' as const
  readonly host: string

  constructor(private readonly opts: ForgejoOptions) {
    this.host = new URL(opts.apiUrl).host
  }

  private tokenHint(): string {
    return `set ${this.opts.tokenEnv} to a Forgejo access token`
  }

  private async get(url: string, what: string, outer?: AbortSignal): Promise<unknown> {
    return (await this.request(url, what, outer)).data
  }

  /**
   * GET with an overall deadline, retrying 5xx and network errors a bounded
   * number of times; `outer` ends it sooner when the caller gives up first.
   * The parsed body and the headers.
   */
  private async request(url: string, what: string, outer?: AbortSignal, write?: {method: 'POST' | 'PATCH'; body: unknown}): Promise<{data: unknown; headers: Headers}> {
    const timeout = AbortSignal.timeout(this.opts.timeoutMs)
    const signal = outer ? AbortSignal.any([timeout, outer]) : timeout
    // A write is sent once: retrying one the forge may have done would post it twice.
    const retries = write ? 0 : (this.opts.retries ?? 2)
    const headers: Record<string, string> = {accept: 'application/json', 'user-agent': 'issue-dispatch'}
    if (this.opts.token) headers.authorization = `token ${this.opts.token}`
    for (let attempt = 0; ; attempt++) {
      let res: Response
      try {
        res = await fetch(url, write ? {method: write.method, headers: {...headers, 'content-type': 'application/json'}, body: JSON.stringify(write.body), signal} : {headers, signal, redirect: 'follow'})
      } catch (error) {
        if (signal.aborted) throw timeoutError(this.host, this.opts.timeoutMs)
        if (attempt < retries) {
          await delay((attempt + 1) ** 2 * (this.opts.retryBaseMs ?? 300))
          continue
        }
        throw networkError(this.host, error)
      }
      if (res.ok) {
        let text: string
        try {
          text = await readCapped(res, this.host)
        } catch (error) {
          if (signal.aborted) throw timeoutError(this.host, this.opts.timeoutMs)
          if (error instanceof FailureError) throw error
          throw networkError(this.host, (error as {cause?: unknown}).cause ?? error)
        }
        try {
          return {data: JSON.parse(text), headers: res.headers}
        } catch {
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
    const r: Reporter = {host: this.host, what}
    if (data === null || typeof data !== 'object') throw new FailureError(`${this.host} returned ${what} as something other than an object.`, 'Is forgejo.apiUrl pointing at a Forgejo API?')
    const repository = data.repository as {owner?: unknown; name?: unknown; full_name?: unknown} | undefined
    let canonical: {owner: string; repo: string} | undefined
    if (repository && repository.owner !== undefined && repository.name !== undefined) {
      canonical = checkedRepo(r, 'repository.owner/name', `${String(repository.owner)}/${String(repository.name)}`, repository.owner, repository.name)
      // Both forms present must agree; neither may smuggle a second repository in.
      const full = repository.full_name
      if (full !== undefined && (typeof full !== 'string' || full.toLowerCase() !== `${canonical.owner}/${canonical.repo}`.toLowerCase())) {
        throw refusedName(r, 'repository.full_name', full, `which is not ${canonical.owner}/${canonical.repo} as repository.owner/name say`)
      }
    } else if (repository && typeof repository.full_name === 'string') {
      const parts = repository.full_name.split('/')
      if (parts.length !== 2) throw refusedName(r, 'repository.full_name', repository.full_name)
      canonical = checkedRepo(r, 'repository.full_name', repository.full_name, parts[0], parts[1])
    }
    if (!canonical) throw new FailureError(`${this.host} returned ${what} without its repository.`, 'Is forgejo.apiUrl pointing at a Forgejo API?')
    const n = checkedNumber(r, data.number, number)
    return {
      forge: 'forgejo',
      owner: canonical.owner,
      repo: canonical.repo,
      number: n,
      title: String(data.title ?? ''),
      body: typeof data.body === 'string' ? data.body : '',
      state: typeof data.state === 'string' ? data.state.toLowerCase() : '',
      url: checkedWebUrl(r, data.html_url, canonical, `${this.opts.baseUrl}/${canonical.owner}/${canonical.repo}/issues/${n}`),
      apiUrl: `${this.opts.apiUrl}/repos/${canonical.owner}/${canonical.repo}/issues/${n}`,
      isPullRequest: data.pull_request !== undefined && data.pull_request !== null,
      webBase: this.opts.baseUrl,
    }
  }

  async findPullRequest(owner: string, repo: string, branch: string, opts: {base?: string; signal?: AbortSignal} = {}): Promise<ForgePullRequest | null> {
    const what = `the pull request of ${owner}/${repo} from ${branch}`
    if (!opts.base) throw new FailureError(`Cannot look up ${what} on ${this.host}: the default branch is unknown.`, 'Forgejo finds a pull request by base and head; check that the checkout still exists.')
    // Forgejo has no head filter on its list; it answers base + head directly (the head may hold slashes).
    const head = branch.split('/').map(encodeURIComponent).join('/')
    const url = `${this.opts.apiUrl}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/pulls/${encodeURIComponent(opts.base)}/${head}`
    let data: Record<string, unknown>
    try {
      data = (await this.get(url, what, opts.signal)) as Record<string, unknown>
    } catch (error) {
      if (error instanceof IssueNotFoundError && error.status === 404) return null
      throw error
    }
    const h = (data?.head ?? {}) as {ref?: unknown; sha?: unknown}
    if (data === null || typeof data !== 'object' || typeof data.number !== 'number' || typeof h.sha !== 'string') {
      throw new FailureError(`${this.host} returned ${what} without its number or head commit.`, 'Is forgejo.apiUrl pointing at a Forgejo API?')
    }
    if (h.ref !== branch) return null
    const state = data.merged === true ? 'merged' : data.state === 'open' ? (data.draft === true ? 'draft' : 'open') : 'closed'
    return pickPullRequest([{number: data.number, url: typeof data.html_url === 'string' ? data.html_url : `${this.opts.baseUrl}/${owner}/${repo}/pulls/${data.number}`, state, headSha: h.sha}])
  }

  async checks(owner: string, repo: string, sha: string, opts: {signal?: AbortSignal} = {}): Promise<ChecksState> {
    const url = `${this.opts.apiUrl}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/commits/${encodeURIComponent(sha)}/status`
    const data = (await this.get(url, `the commit status of ${owner}/${repo}@${sha.slice(0, 12)}`, opts.signal)) as {statuses?: Array<{status?: unknown; state?: unknown}>} | null
    // Forgejo names each status's state `status`; the combined object names its own `state`.
    return combineChecks((data?.statuses ?? []).map((s) => commitStatusVerdict(s.status ?? s.state)))
  }

  async checkDetails(owner: string, repo: string, sha: string, opts: {signal?: AbortSignal} = {}): Promise<{state: ChecksState; failed: FailedCheck[]}> {
    const url = `${this.repoApi(owner, repo)}/commits/${encodeURIComponent(sha)}/status`
    const data = (await this.get(url, `the commit status of ${owner}/${repo}@${sha.slice(0, 12)}`, opts.signal)) as {statuses?: Array<{status?: unknown; state?: unknown}>} | null
    return {state: combineChecks((data?.statuses ?? []).map((s) => commitStatusVerdict(s.status ?? s.state))), failed: failedStatuses(data?.statuses)}
  }

  async reviewNotes(owner: string, repo: string, number: number, opts: {since?: string; signal?: AbortSignal} = {}): Promise<{changesRequested: boolean; notes: ReviewNote[]}> {
    const pulls = `${this.repoApi(owner, repo)}/pulls/${number}`
    const reviews = reviewsOf(await this.get(`${pulls}/reviews`, `the reviews of ${owner}/${repo}#${number}`, opts.signal))
    // Forgejo keeps inline comments under their review: asked for the reviews since `since` that have any.
    const since = opts.since ? Date.parse(opts.since) : undefined
    const withComments = reviews.filter((r) => r.comments > 0 && !r.dismissed && (since === undefined || (r.at !== null && Date.parse(r.at) > since)))
    const comments = await Promise.all(withComments.map((r) => this.get(`${pulls}/reviews/${r.id}/comments`, `the comments of review ${r.id} on ${owner}/${repo}#${number}`, opts.signal)))
    return feedbackSince(reviews, comments.flatMap((c) => commentNotes(c)), opts.since)
  }

  async createIssueComment(owner: string, repo: string, number: number, body: string, opts: {signal?: AbortSignal} = {}): Promise<{id: number; url: string}> {
    const what = `a comment on ${owner}/${repo}#${number}`
    const {data} = await this.request(`${this.repoApi(owner, repo)}/issues/${number}/comments`, what, opts.signal, {method: 'POST', body: {body}})
    const d = data as {id?: unknown; html_url?: unknown} | null
    if (typeof d?.id !== 'number') throw new FailureError(`${this.host} did not say which comment it made on ${owner}/${repo}#${number}.`, 'Is forgejo.apiUrl pointing at a Forgejo API?')
    return {id: d.id, url: typeof d.html_url === 'string' ? d.html_url : ''}
  }

  async updateIssueComment(owner: string, repo: string, id: number, body: string, opts: {signal?: AbortSignal} = {}): Promise<void> {
    await this.request(`${this.repoApi(owner, repo)}/issues/comments/${id}`, `comment ${id} on ${owner}/${repo}`, opts.signal, {method: 'PATCH', body: {body}})
  }

  private repoApi(owner: string, repo: string): string {
    return `${this.opts.apiUrl}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}`
  }

  async listOpenIssues(owner: string, repo: string, label: string, limit: number): Promise<ListedIssue[]> {
    const what = listingWhat(owner, repo, label)
    const base = `${this.opts.apiUrl}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/issues`
    const out: ListedIssue[] = []
    for (let page = 1; page <= MAX_PAGES && out.length < limit; page++) {
      // type=issues: Forgejo leaves pull requests out itself (issuesOfPage checks again).
      const query = new URLSearchParams({state: 'open', type: 'issues', labels: label, page: String(page), limit: String(FORGEJO_PAGE)})
      const {data, headers} = await this.request(`${base}?${query}`, what)
      out.push(...issuesOfPage(this.host, what, data, label))
      if (!hasNextPage(headers.get('link'))) break
    }
    return out.slice(0, limit)
  }

  async ping(): Promise<string> {
    const data = (await this.get(`${this.opts.apiUrl}/version`, 'the version')) as {version?: string}
    return data?.version ? `Forgejo ${data.version}` : 'reachable'
  }
}
