import {PolicyError, UsageError} from './errors.js'
import {isValidName, type ForgeKind} from './issue-ref.js'
import type {Mode} from './registry/index.js'

const FORGE_KINDS: readonly ForgeKind[] = ['github', 'forgejo']

/** One `allowedOwners` entry: `acme` (any configured forge), `github:acme` or `forgejo:acme`. */
export interface OwnerEntry {
  owner: string
  /** The forge the entry pins the owner to; undefined for a bare name. */
  forge?: ForgeKind
}

/** Parse an `allowedOwners` entry; undefined when it is not of the accepted forms. Pure. */
export function parseOwnerEntry(entry: string): OwnerEntry | undefined {
  const colon = entry.indexOf(':')
  if (colon === -1) return isValidName(entry) ? {owner: entry} : undefined
  const forge = entry.slice(0, colon).toLowerCase()
  const owner = entry.slice(colon + 1)
  if (!(FORGE_KINDS as readonly string[]).includes(forge) || !isValidName(owner)) return undefined
  return {owner, forge: forge as ForgeKind}
}

/**
 * The forges an owner may be dispatched from, as the allow-list says
 * (case-insensitive, as forges treat owners). A bare entry admits the owner on
 * every forge; a prefixed one on its forge only. Pure.
 */
export function forgesForOwner(owner: string, allowedOwners: readonly string[]): Set<ForgeKind> {
  const o = owner.toLowerCase()
  const out = new Set<ForgeKind>()
  for (const raw of allowedOwners) {
    const entry = parseOwnerEntry(raw)
    if (!entry || entry.owner.toLowerCase() !== o) continue
    for (const kind of entry.forge ? [entry.forge] : FORGE_KINDS) out.add(kind)
  }
  return out
}

/** Owner allow-list check; with `forge`, only entries that admit that forge count. Pure. */
export function isOwnerAllowed(owner: string, allowedOwners: readonly string[], forge?: ForgeKind): boolean {
  const forges = forgesForOwner(owner, allowedOwners)
  return forge ? forges.has(forge) : forges.size > 0
}

const FORGE_NAMES: Record<ForgeKind, string> = {github: 'GitHub', forgejo: 'Forgejo'}

export function forgeName(kind: ForgeKind): string {
  return FORGE_NAMES[kind]
}

export function assertOwnerAllowed(owner: string, allowedOwners: readonly string[], context = '', forge?: ForgeKind): void {
  if (isOwnerAllowed(owner, allowedOwners, forge)) return
  if (forge && isOwnerAllowed(owner, allowedOwners)) {
    const other = FORGE_KINDS.find((k) => k !== forge)!
    throw new PolicyError(
      `Owner "${owner}" is allowed on ${forgeName(other)} only, but this issue is on ${forgeName(forge)}${context} (allowedOwners: ${allowedOwners.join(', ')}).`,
      `Add ${forge}:${owner} to allowedOwners if dispatch should work for that owner on ${forgeName(forge)} too.`,
    )
  }
  throw new PolicyError(
    `Owner "${owner}" is not in allowedOwners${context} (${allowedOwners.join(', ')}).`,
    'Add it to allowedOwners in the config if dispatch should work there.',
  )
}
/** Where a short ref is looked up: the first forge, and whether a Forgejo 404 may fall back to GitHub. */
export interface ShortRefRoute {
  first: ForgeKind
  fallbackToGitHub: boolean
}

/**
 * One forge per owner: a short ref goes to Forgejo first when Forgejo is
 * configured and the owner is allowed there, and on to GitHub after a
 * Forgejo 404 only when the owner is allowed on GitHub too (a bare entry, or
 * `github:` beside `forgejo:`). An owner allowed only on GitHub goes straight
 * there. Pure.
 */
export function routeShortRef(owner: string, allowedOwners: readonly string[], forgejoConfigured: boolean): ShortRefRoute {
  const forges = forgesForOwner(owner, allowedOwners)
  if (forgejoConfigured && forges.has('forgejo')) return {first: 'forgejo', fallbackToGitHub: forges.has('github')}
  if (forges.has('github')) return {first: 'github', fallbackToGitHub: false}
  throw new PolicyError(
    `Owner "${owner}" is allowed on Forgejo only (allowedOwners: ${allowedOwners.join(', ')}), and no forgejo section is configured.`,
    'Configure forgejo.baseUrl, or allow the owner on GitHub (github:' + owner + ').',
  )
}

const CASCADE_MIN = 1
const CASCADE_MAX = 5
const CASCADE_DEFAULT = 3

/**
 * The cascade depth budget (SPEC §8). `inherited` is DISPATCH_CASCADE_DEPTH
 * from the environment (undefined at top level). Returns the depth the new
 * worker runs with: cascade → its budget, headless/interactive → 0.
 */
export function cascadeBudget(mode: Mode, requestedDepth: number | undefined, inherited: string | undefined): number {
  if (requestedDepth !== undefined && (!Number.isInteger(requestedDepth) || requestedDepth < CASCADE_MIN || requestedDepth > CASCADE_MAX)) {
    throw new UsageError(`--depth must be an integer from ${CASCADE_MIN} to ${CASCADE_MAX}, got ${requestedDepth}.`, 'Pick a smaller depth.')
  }
  const nested = inherited !== undefined && inherited !== ''
  let parent: number | undefined
  if (nested) {
    parent = Number(inherited)
    if (!/^\d+$/.test(inherited) || !Number.isSafeInteger(parent)) {
      throw new PolicyError(`DISPATCH_CASCADE_DEPTH is "${inherited}", not a whole number; refusing to dispatch.`, 'Unset it if this is not a dispatch worker.')
    }
    if (parent < 1) {
      throw new PolicyError(
        'This worker has no cascade budget left (DISPATCH_CASCADE_DEPTH=0): it may not dispatch other workers.',
        'Do the work here instead of dispatching it.',
      )
    }
  }
  if (mode !== 'cascade') return 0
  if (!nested) return requestedDepth ?? CASCADE_DEFAULT
  const budget = parent! - 1
  if (budget < 1) {
    throw new PolicyError(
      `Cascade budget exhausted: this worker runs at depth ${parent}, so a nested cascade would get ${budget}.`,
      'Spawn headless leaves (dispatch headless) or do the work yourself.',
    )
  }
  return requestedDepth === undefined ? budget : Math.min(requestedDepth, budget)
}
