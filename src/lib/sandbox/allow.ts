// The sandbox's network allow list: what an entry means, which targets it
// lets through, and which addresses a listed *name* may lead to. Pure; the
// proxy (proxy.ts) asks these and does the I/O. docs/sandbox-network.md
// states the same rules for users.
import {isIP} from 'node:net'

/** One parsed `sandbox.allowNetwork` entry. */
export interface AllowEntry {
  /** Lower-case name without a trailing dot, an IPv4 literal, or an IPv6 literal without brackets. */
  host: string
  port: number
  /** `*.example.org`: any name below example.org (one or more labels), never example.org itself. */
  wildcard: boolean
}

const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/

/** `Example.ORG.` → `example.org`; `[::1]` → `::1`. Pure. */
export function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase()
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1)
  if (h.endsWith('.') && isIP(h) === 0) h = h.slice(0, -1)
  return h
}

function validName(host: string): boolean {
  return host.length > 0 && host.length <= 253 && host.split('.').every((label) => LABEL.test(label))
}

/** `host:port`, or `[v6]:port`, into its parts (port undefined when absent). Pure. */
export function splitHostPort(target: string): {host: string; port?: number} | undefined {
  const t = target.trim()
  let host: string
  let portText: string | undefined
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(t)
  if (v6) {
    host = v6[1]
    portText = v6[2]
    if (isIP(host) !== 6) return undefined
  } else {
    const colon = t.lastIndexOf(':')
    if (colon !== t.indexOf(':')) return undefined // a bare IPv6 literal needs brackets
    host = colon === -1 ? t : t.slice(0, colon)
    portText = colon === -1 ? undefined : t.slice(colon + 1)
  }
  if (portText === undefined) return {host: normalizeHost(host)}
  if (!/^\d{1,5}$/.test(portText)) return undefined
  const port = Number(portText)
  if (port < 1 || port > 65_535) return undefined
  return {host: normalizeHost(host), port}
}

/**
 * Parse one `sandbox.allowNetwork` entry: `host[:port]`, `*.domain[:port]`,
 * `1.2.3.4[:port]` or `[v6][:port]`. No port means 443 (HTTPS, what package
 * registries and forges speak); plain HTTP needs its port written (`:80`).
 * A lone `*`, a wildcard in the middle of a name and a wildcard over an
 * address are invalid: "everything" is `sandbox.kind: none`, said plainly.
 * Returns undefined for an invalid entry. Pure.
 */
export function parseAllowEntry(entry: string): AllowEntry | undefined {
  const split = splitHostPort(entry)
  if (!split) return undefined
  const port = split.port ?? 443
  let host = split.host
  const wildcard = host.startsWith('*.')
  if (wildcard) host = host.slice(2)
  if (isIP(host) !== 0) return wildcard ? undefined : {host, port, wildcard}
  if (!validName(host)) return undefined
  // `*.com` would let the worker reach any .com: at least two labels under the wildcard.
  if (wildcard && !host.includes('.')) return undefined
  return {host, port, wildcard}
}

/** The entry as `host:port`, the form the proxy's messages and the docs use. Pure. */
export function formatTarget(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`
}

/**
 * Is host:port on the list? Exact entries match the same host and port;
 * `*.domain` entries match names strictly below the domain on the same port.
 * An IP literal matches only an entry that is that literal. Pure.
 */
export function matchAllow(entries: readonly AllowEntry[], host: string, port: number): AllowEntry | undefined {
  const h = normalizeHost(host)
  const literal = isIP(h) !== 0
  return entries.find((e) => e.port === port && (e.wildcard ? !literal && h.endsWith('.' + e.host) : e.host === h))
}

function v4Special(address: string): string | undefined {
  const [a, b] = address.split('.').map(Number)
  if (a === 127) return 'loopback'
  if (a === 0) return 'unspecified'
  if (a === 169 && b === 254) return 'link-local'
  if (a >= 224) return a < 240 ? 'multicast' : 'reserved'
  return undefined
}

/**
 * Why a listed *name* may not lead to this address, or undefined when it may.
 * Loopback, link-local (cloud metadata at 169.254.169.254), unspecified
 * (0.0.0.0 reaches the local host on Linux), multicast and reserved addresses
 * are refused; private ranges (10/8, 192.168/16, fc00::/7) are allowed,
 * because internal forges and registries live there. Pure.
 */
export function specialAddress(address: string): string | undefined {
  const kind = isIP(address)
  if (kind === 4) return v4Special(address)
  if (kind !== 6) return 'not an address'
  // The URL parser writes an IPv6 address in its one canonical short form.
  const a = new URL(`http://[${address}]`).hostname.slice(1, -1)
  if (a === '::') return 'unspecified'
  if (a === '::1') return 'loopback'
  // IPv4-mapped (::ffff:a.b.c.d) and the deprecated IPv4-compatible (::a.b.c.d) forms reach the IPv4 address.
  const embedded = /^::(?:ffff:)?([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(a)
  if (embedded) {
    const hi = Number.parseInt(embedded[1], 16)
    const lo = Number.parseInt(embedded[2], 16)
    return v4Special(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`)
  }
  if (/^fe[89ab]/.test(a)) return 'link-local'
  if (a.startsWith('ff')) return 'multicast'
  return undefined
}

/**
 * May a connection to `host` (as the client named it, matched by `entry`) go
 * to `address`? An IP literal goes where it says: the operator listed it.
 * A name goes anywhere but a special address (see specialAddress): a name
 * on the list is not the operator choosing a local service, and a wildcard
 * entry covers names anyone can point at 127.0.0.1 (DNS rebinding). The one
 * exception is an exact `localhost` entry: that name means loopback
 * (RFC 6761), so listing it is choosing loopback. Returns the refusal, or
 * undefined. Pure.
 */
export function addressRefusal(host: string, entry: AllowEntry, address: string): string | undefined {
  const h = normalizeHost(host)
  if (isIP(h) !== 0) return undefined
  const special = specialAddress(address)
  if (!special) return undefined
  if (special === 'loopback' && h === 'localhost' && !entry.wildcard) return undefined
  return `${h} resolves to ${address}, a ${special} address`
}

/** The parts of the config the allow list is made from. */
export interface AllowSources {
  github?: {webUrl: string; apiUrl: string}
  forgejo?: {baseUrl: string; apiUrl?: string}
  sandbox?: {allowNetwork?: readonly string[]}
}

function urlTarget(url: string | undefined): string | undefined {
  if (!url) return undefined
  try {
    const u = new URL(url)
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined
    const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80
    return formatTarget(normalizeHost(u.hostname), port)
  } catch {
    return undefined
  }
}

/**
 * What a sandboxed worker may reach: the model API (ANTHROPIC_BASE_URL's
 * host:port, else api.anthropic.com:443), the configured forges (GitHub's
 * webUrl and apiUrl, Forgejo's baseUrl and apiUrl) and `sandbox.allowNetwork`,
 * as `host:port` strings, each once. Invalid allowNetwork entries are left
 * out (the config schema refuses them first). Pure.
 */
export function allowListFor(config: AllowSources, env: NodeJS.ProcessEnv): string[] {
  const out = new Set<string>()
  const add = (t: string | undefined): void => {
    if (t) out.add(t)
  }
  add(urlTarget(env.ANTHROPIC_BASE_URL) ?? 'api.anthropic.com:443')
  add(urlTarget(config.github?.webUrl))
  add(urlTarget(config.github?.apiUrl))
  add(urlTarget(config.forgejo?.baseUrl))
  add(urlTarget(config.forgejo?.apiUrl))
  for (const raw of config.sandbox?.allowNetwork ?? []) {
    const e = parseAllowEntry(raw)
    if (e) add((e.wildcard ? '*.' : '') + formatTarget(e.host, e.port))
  }
  return [...out]
}
