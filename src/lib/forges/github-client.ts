/**
 * The Octokit client dispatch talks to GitHub with: retries and rate limits
 * through the official plugins, no logging of its own, and a fetch that stops
 * at once when the caller has given up.
 */
export type Octokit = import('@octokit/core').Octokit

export interface ClientOptions {
  apiUrl: string
  token?: string
  /** Base of the retry back-off in ms (retries wait base·1, base·4). */
  retryBaseMs?: number
  warn?: (message: string) => void
  /** For warnings. */
  host: string
}

/**
 * NOTE: Octokit and its plugins are imported lazily: they cost ~170 ms, which
 * commands that never talk to GitHub should not pay. @octokit/core rather than
 * @octokit/rest: dispatch names its few routes itself (src/lib/forges/github.ts),
 * so the generated method table of every GitHub endpoint, and the paginate and
 * request-log plugins, would be loaded on every forge command for nothing.
 */
export async function makeOctokit(opts: ClientOptions): Promise<Octokit> {
  const [{Octokit}, {throttling}, {retry}] = await Promise.all([
    import('@octokit/core'),
    import('@octokit/plugin-throttling'),
    import('@octokit/plugin-retry'),
  ])
  const Client = Octokit.plugin(throttling, retry)
  const warn = opts.warn ?? (() => {})
  return new Client({
    auth: opts.token,
    baseUrl: opts.apiUrl,
    userAgent: 'issue-dispatch',
    log: {debug() {}, info() {}, warn() {}, error() {}},
    retry: {retries: 2, retryAfterBaseValue: opts.retryBaseMs ?? 300},
    throttle: {
      // Retry once when the limit resets soon; otherwise report it.
      onRateLimit: (retryAfter: number, _options: unknown, _o: unknown, retryCount: number) => {
        if (retryCount < 1 && retryAfter <= 5) {
          warn(`warning: ${opts.host} rate limit reached; retrying in ${retryAfter} s`)
          return true
        }
        return false
      },
      onSecondaryRateLimit: (retryAfter: number, _options: unknown, _o: unknown, retryCount: number) => retryCount < 1 && retryAfter <= 5,
    },
  }) as unknown as Octokit
}

/**
 * A fetch that answers locally once `signal` has fired. NOTE: Octokit turns an
 * aborted fetch into a 500, which the retry plugin retries after a back-off;
 * a caller that has given up (status's deadline) would then keep the process
 * alive for seconds. A 400 is never retried; translate() sees the signal and
 * reports the timeout.
 */
export function stopWhenAborted(fetchImpl: typeof fetch, signal: AbortSignal): typeof fetch {
  const stopped = () => new Response(JSON.stringify({message: 'given up by dispatch'}), {status: 400, headers: {'content-type': 'application/json'}})
  return async (input, init) => {
    if (signal.aborted) return stopped()
    try {
      return await fetchImpl(input, init)
    } catch (error) {
      if (signal.aborted) return stopped()
      throw error
    }
  }
}

