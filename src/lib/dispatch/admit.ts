import path from 'node:path'

import {describeSpend, overBudget, usd, type Spend} from '../budget.js'
import {PolicyError} from '../errors.js'
import {findConflicts, recordRoots, workerLabel, type SidequestRecord} from '../registry/index.js'
import type {RunnerKind} from '../runners/index.js'
import type {DispatchPlan} from './types.js'

/**
 * What admission does with a worker past maxActive, by runner: the local
 * runner refuses it (a fan-out lists it as refused); a runner backed by a
 * scheduler queues it there instead ('queue'), as the scheduler's own limits
 * govern the cluster. Every runner kind must say which.
 */
export const OVER_CAPACITY: Record<RunnerKind, 'refuse' | 'queue'> = {local: 'refuse', slurm: 'queue'}

/**
 * The policy checks against active workers (SPEC §7): one worker per ref
 * (unless --force), claims that overlap no active worker's (unless --force),
 * one worker per working tree for --no-worktree (always), and maxActive (always, local workers only). Claims compare within their repository; the plan's
 * roots and the records' own place old absolute claims. Pure over the given records.
 */

export function admit(active: readonly SidequestRecord[], plan: Pick<DispatchPlan, 'issue' | 'repo' | 'claims' | 'claimRoots' | 'checkout' | 'worktree'> & {runner?: RunnerKind}, maxActive: number, force: boolean): void {
  const ref = plan.issue.ref
  // One worker per working tree, --force or not: two claudes editing one checkout undo each other's work.
  if (plan.worktree.action === 'in-place') {
    const sharer = active.find((r) => path.resolve(r.cwd) === path.resolve(plan.worktree.path))
    if (sharer) {
      throw new PolicyError(
        `The worker ${workerLabel(sharer)} (${sharer.ref}) already runs in the checkout ${plan.worktree.path}; two workers must not share one working tree.`,
        'Drop --no-worktree to give this one its own worktree, or wait for that worker.',
        'worktree',
      )
    }
  }
  if (!force) {
    const dup = active.find((r) => r.ref.toLowerCase() === ref.toLowerCase())
    if (dup) {
      throw new PolicyError(
        `${ref} already has an active worker (${workerLabel(dup)}, ${dup.mode}, started ${dup.started_at}).`,
        `Follow it with: dispatch status ${ref}. Use --force to start another anyway.`,
        'duplicate',
      )
    }
    const main = plan.claimRoots[0]?.dir ?? plan.checkout.dir
    const roots = recordRoots(active)
    for (const root of plan.claimRoots) roots.add(root)
    for (const rel of plan.claims) {
      const hits = findConflicts(active, {repo: plan.repo, rel, abs: path.join(main, rel)}, roots)
      if (hits.length > 0) {
        const h = hits[0]
        throw new PolicyError(
          `Claim ${rel} in ${plan.repo} overlaps ${h.claim} (${h.reason}), claimed by ${workerLabel(h)} working on ${h.ref}.`,
          'Wait for that worker, narrow --claims, or use --force.',
          'claims',
        )
      }
    }
  }
  // Slurm workers wait in the scheduler's queue and its limits govern them: maxActive counts this machine's.
  const local = active.filter((r) => OVER_CAPACITY[r.runner ?? 'local'] === 'refuse').length
  if (OVER_CAPACITY[plan.runner ?? 'local'] === 'refuse' && local >= maxActive) {
    throw new PolicyError(`${local} workers are active; maxActive is ${maxActive}.`, 'Wait for one to finish (dispatch sidequests list), or raise maxActive in the config.', 'capacity')
  }
}

/**
 * The fleet's daily spend cap (budget.dailyUsd): no new start once the
 * workers started today have cost the cap. --force does not lift it: --force
 * settles how workers share the work (duplicates, claims), while the cap is
 * the operator's promise about money, like the owner and state checks, and a
 * cascade worker may pass --force itself. Pure.
 */
export function admitSpend(spend: Spend | undefined, budget: {dailyUsd: number} | undefined, configFile: string): void {
  if (!budget || !spend || !overBudget(spend, budget.dailyUsd)) return
  throw new PolicyError(
    `Today's spend has reached the daily budget: ${usd(spend.usd)} of budget.dailyUsd ${usd(budget.dailyUsd)} (${describeSpend(spend)}); no new worker is started.`,
    `Raise budget.dailyUsd in ${configFile}, or wait until tomorrow (the day is local time, TZ ${Intl.DateTimeFormat().resolvedOptions().timeZone}). --force does not lift the budget.`,
    'budget',
  )
}
