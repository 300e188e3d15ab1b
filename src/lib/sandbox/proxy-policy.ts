// What the proxy (proxy.ts) answers a request for host:port: through, to
// which addresses, or refused with which status, body and log line.
import {lookup as dnsLookup} from 'node:dns/promises'
import {isIP} from 'node:net'

import {addressRefusal, formatTarget, matchAllow, normalizeHost, type AllowEntry} from './allow.js'

/** Resolves a name to its addresses (tests pass their own; default: the system resolver). */
export type Lookup = (host: string) => Promise<string[]>

export const systemLookup: Lookup = async (host) => (await dnsLookup(host, {all: true, verbatim: true})).map((a) => a.address)

/** Through (to these addresses, tried in order), or refused: the answer's status and body, and the line for the worker's log. */
export type Decision = {ok: true; addresses: string[]} | {ok: false; status: 403 | 502; body: string; line?: string}

/** Printable, one line, bounded: targets come from the worker. */
export function inert(text: string): string {
  const t = text.replace(/[^\x20-\x7e]/g, '?')
  return t.length > 200 ? t.slice(0, 200) + '…' : t
}

/**
 * Decide one request. The name is resolved here, once, and the proxy
 * connects to the addresses returned: what was checked is what is reached.
 */
export async function decideTarget(entries: readonly AllowEntry[], lookup: Lookup, method: string, rawHost: string, port: number): Promise<Decision> {
  // `[::1]` from a URL, `Example.ORG.` from a tool: the form the list and the resolver use.
  const host = normalizeHost(rawHost)
  const target = inert(formatTarget(host, port))
  const entry = matchAllow(entries, host, port)
  if (!entry) {
    return {
      ok: false,
      status: 403,
      line: `sandbox network: refused ${method} ${target}: not in sandbox.allowNetwork`,
      body: `dispatch sandbox: ${target} is not on this worker's network allow list.\nTo allow it, the operator adds "${target}" to sandbox.allowNetwork in the dispatch config.\n`,
    }
  }
  let addresses: string[]
  try {
    addresses = isIP(host) === 0 ? await lookup(host) : [host]
  } catch (error) {
    return {ok: false, status: 502, body: `dispatch sandbox: cannot resolve ${inert(host)}: ${inert((error as NodeJS.ErrnoException).code ?? String(error))}\n`}
  }
  if (addresses.length === 0) return {ok: false, status: 502, body: `dispatch sandbox: ${inert(host)} has no address\n`}
  // NOTE: every address must pass, not just one: a rebinding answer mixes a public address with 127.0.0.1.
  const refusal = addresses.map((a) => addressRefusal(host, entry, a)).find(Boolean)
  if (refusal) {
    return {
      ok: false,
      status: 403,
      line: `sandbox network: refused ${method} ${target}: ${inert(refusal)}`,
      body: `dispatch sandbox: ${inert(refusal)}; a name on sandbox.allowNetwork may not lead to the local host or link-local addresses (DNS rebinding).\nTo allow a local service, the operator lists its address (for example 127.0.0.1:8080) in sandbox.allowNetwork and the worker uses that address.\n`,
    }
  }
  return {ok: true, addresses}
}
