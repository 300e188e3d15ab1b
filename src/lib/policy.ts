import {PolicyError, UsageError} from './errors.js'

/** Owner allow-list check, case-insensitive as forges treat owners. Pure. */
export function isOwnerAllowed(owner: string, allowedOwners: readonly string[]): boolean {
  const o = owner.toLowerCase()
  return allowedOwners.some((a) => a.toLowerCase() === o)
}

export function assertOwnerAllowed(owner: string, allowedOwners: readonly string[], context = ''): void {
  if (!isOwnerAllowed(owner, allowedOwners)) {
    throw new PolicyError(
      `Owner "${owner}" is not in allowedOwners${context} (${allowedOwners.join(', ')}).`,
      'Add it to allowedOwners in the config if dispatch should work there.',
    )
  }
}

export const CASCADE_MIN = 1
export const CASCADE_MAX = 5
export const CASCADE_DEFAULT = 3

export type DispatchMode = 'headless' | 'cascade' | 'interactive'

/**
 * The cascade depth budget (SPEC §8). `inherited` is DISPATCH_CASCADE_DEPTH
 * from the environment (undefined at top level). Returns the depth the new
 * worker runs with: cascade → its budget, headless/interactive → 0.
 */
export function cascadeBudget(mode: DispatchMode, requestedDepth: number | undefined, inherited: string | undefined): number {
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
