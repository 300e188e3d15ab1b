import {FailureError} from '../errors.js'

/**
 * Largest forge response body dispatch reads, counted after decompression.
 * An issue (GitHub caps bodies at 65,536 characters) with all its metadata is
 * far below this; without a cap, a small gzip body that inflates to gigabytes
 * would be read whole into memory.
 */
export const MAX_BODY_BYTES = 4 * 1024 * 1024

export function bodyTooLarge(host: string, limit = MAX_BODY_BYTES): FailureError {
  return new FailureError(
    `${host} sent a response larger than ${formatBytes(limit)} (after decompression); dispatch stopped reading it.`,
    'An issue is never that large: check that the configured apiUrl points at the forge you mean.',
  )
}

function formatBytes(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : `${n} bytes`
}

function declaredTooLarge(res: Response, limit: number): boolean {
  // content-length counts the bytes on the wire; compressed or not, more than the limit there is more than the limit.
  const declared = Number(res.headers.get('content-length'))
  return Number.isFinite(declared) && declared > limit
}

/** Read a response body as text, at most `limit` bytes; a longer body is cancelled and refused. */
export async function readCapped(res: Response, host: string, limit = MAX_BODY_BYTES): Promise<string> {
  if (!res.body) return ''
  if (declaredTooLarge(res, limit)) {
    await res.body.cancel().catch(() => {})
    throw bodyTooLarge(host, limit)
  }
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const {done, value} = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > limit) {
      await reader.cancel().catch(() => {})
      throw bodyTooLarge(host, limit)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** Records whether a capped fetch cut a body short. */
export interface CapState {
  exceeded: boolean
}

const NULL_BODY = new Set([101, 204, 205, 304])

/**
 * A fetch for Octokit whose response bodies stop after `limit` bytes. Octokit
 * reads bodies itself and turns a failed read into empty data, so the cut is
 * reported through `state` and the caller throws `bodyTooLarge` itself.
 */
export function cappedFetch(state: CapState, limit = MAX_BODY_BYTES, fetchImpl: typeof fetch = globalThis.fetch): typeof fetch {
  return async (input, init) => {
    const res = await fetchImpl(input, init)
    if (!res.body || NULL_BODY.has(res.status)) return res
    if (declaredTooLarge(res, limit)) {
      state.exceeded = true
      await res.body.cancel().catch(() => {})
      return new Response('', {status: res.status, statusText: res.statusText, headers: res.headers})
    }
    let total = 0
    const counted = res.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          total += chunk.byteLength
          if (total > limit) {
            state.exceeded = true
            // Erroring the stream cancels the source, which stops decompression and closes the connection.
            controller.error(new Error(`response body larger than ${limit} bytes`))
            return
          }
          controller.enqueue(chunk)
        },
      }),
    )
    return new Response(counted, {status: res.status, statusText: res.statusText, headers: res.headers})
  }
}
