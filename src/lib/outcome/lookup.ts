/**
 * Looking up what came of workers' branches: git in the checkout, then the
 * forge's pull request and checks. One lookup per branch per command,
 * a few at a time, and the whole of it bounded by one deadline: a forge that
 * is down or slow leaves "unknown" behind, never an error or a wait.
 */
import {errorMessage} from '../errors.js'
import type {PullRequestForge} from '../forges/types.js'
import type {ForgeKind} from '../issue-ref.js'
import {forgeName} from '../policy.js'
import {CheckoutFacts, type LocalFacts} from './local.js'
import {summarise} from './summary.js'
import type {OutcomePullRequest, WorkerOutcome} from './types.js'

/** A worker's branch, and where to ask about it. */
export interface OutcomeTarget {
  forge: ForgeKind
  owner: string
  repo: string
  branch: string
  /** A directory git can answer in: the worktree, or the main checkout. */
  dir: string
}

export interface OutcomeLookupOptions {
  /** The forge client of a kind; undefined when that forge is not configured. */
  forge(kind: ForgeKind): Promise<PullRequestForge | undefined>
  /** The budget of the whole lookup, from the first question to the last answer (config timeoutMs). */
  timeoutMs: number
  /** Forge requests in flight at once. */
  concurrency?: number
}

/** Run `task` when fewer than `n` others run. */
function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0
  const waiting: Array<() => void> = []
  return async (task) => {
    if (running >= n) await new Promise<void>((resolve) => waiting.push(resolve))
    running++
    try {
      return await task()
    } finally {
      running--
      waiting.shift()?.()
    }
  }
}

const UNKNOWN_LOCAL: LocalFacts = {defaultBranch: null, tip: null, ahead: null, remoteTip: undefined}

/** One lookup session (one command): answers are shared per branch, and all of it ends at one deadline. */
export class OutcomeLookup {
  readonly #cache = new Map<string, Promise<WorkerOutcome>>()
  readonly #local: CheckoutFacts
  readonly #limit: <T>(task: () => Promise<T>) => Promise<T>
  readonly #deadline: AbortSignal
  readonly #expired: Promise<void>

  constructor(private readonly opts: OutcomeLookupOptions) {
    this.#local = new CheckoutFacts(opts.timeoutMs)
    const limit = limiter(opts.concurrency ?? 4)
    // A request still queued when the deadline passes is not sent at all.
    this.#limit = (task) => limit(() => (this.#deadline.aborted ? Promise.reject(new Error('the lookup ran out of time')) : task()))
    // NOTE: one deadline for everything: per-request timeouts alone would add up over retries, waves and branches.
    this.#deadline = AbortSignal.timeout(opts.timeoutMs)
    this.#expired = new Promise((resolve) => this.#deadline.addEventListener('abort', () => resolve(), {once: true}))
  }

  /** What came of `t.branch`; asked once per branch, whoever asks again gets the same answer. */
  of(t: OutcomeTarget): Promise<WorkerOutcome> {
    const key = `${t.forge}:${t.owner}/${t.repo}:${t.branch}`.toLowerCase()
    let p = this.#cache.get(key)
    if (!p) {
      p = this.#work(t)
      this.#cache.set(key, p)
    }
    return p
  }

  /** `p`, or `fallback` once the deadline passes first. */
  #beforeDeadline<T>(p: Promise<T>, fallback: T): Promise<T> {
    if (this.#deadline.aborted) return Promise.resolve(fallback)
    return Promise.race([p, this.#expired.then(() => fallback)])
  }

  async #pullRequest(t: OutcomeTarget): Promise<OutcomePullRequest | null> {
    const client = await this.opts.forge(t.forge)
    if (!client) throw new Error(`${forgeName(t.forge)} is not configured`)
    const base = t.forge === 'forgejo' ? ((await this.#local.defaultBranch(t.dir))?.name ?? undefined) : undefined
    const signal = this.#deadline
    const pr = await this.#limit(() => client.findPullRequest(t.owner, t.repo, t.branch, {base, signal}))
    if (!pr) return null
    // Checks matter while a pull request is open; a merged or closed one is done with them.
    const live = pr.state === 'open' || pr.state === 'draft'
    const checks = live ? await this.#limit(() => client.checks(t.owner, t.repo, pr.headSha, {signal})).catch(() => null) : null
    return {number: pr.number, url: pr.url, state: pr.state, head_sha: pr.headSha, checks}
  }

  async #work(t: OutcomeTarget): Promise<WorkerOutcome> {
    const timedOut = `no answer within ${Math.round(this.opts.timeoutMs / 100) / 10} s`
    const forgeAnswer = this.#pullRequest(t).then(
      (pull_request) => ({pull_request, forge_error: null}),
      (error: unknown) => ({pull_request: null, forge_error: this.#deadline.aborted ? timedOut : errorMessage(error)}),
    )
    const [local, forge] = await Promise.all([
      this.#beforeDeadline(this.#local.branch(t.dir, t.branch).catch(() => UNKNOWN_LOCAL), UNKNOWN_LOCAL),
      this.#beforeDeadline(forgeAnswer, {pull_request: null, forge_error: timedOut}),
    ])
    const pushed = local.remoteTip === undefined || (local.tip === null && local.remoteTip !== null) ? null : local.remoteTip === null ? 'absent' : local.remoteTip === local.tip ? 'up-to-date' : 'out-of-date'
    const outcome = {branch: t.branch, ahead: local.ahead, pushed, ...forge} as const
    return {...outcome, summary: summarise(outcome)}
  }
}
