/**
 * The fleet's daily spend (config `budget.dailyUsd`, docs/budget.md): what the
 * workers started today have cost. "Today" is the operator's local calendar
 * day, by the process's time zone (TZ). A worker counts its `cost_usd` once
 * its end is recorded; until then (running, or ended without a cost) it counts 0.
 */
import {isActive, type SidequestRecord} from './registry/index.js'

export interface Spend {
  /** The summed cost_usd of the workers started today. */
  usd: number
  /** Workers started today, with or without a cost. */
  workers: number
  /** Of those, still running without a cost yet: not counted. */
  running: number
}

/** Local midnight that begins `now`'s day, and the next one. Pure (given the process's TZ). */
export function localDay(now: Date): {start: Date; end: Date} {
  const start = new Date(now.getFullYear(), now.getMonth(), now.getDate())
  return {start, end: new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1)}
}

/** Today's spend over the given records (every record, ended ones included). Pure apart from `alive`. */
export function todaysSpend<T extends SidequestRecord>(records: readonly T[], now: Date, alive: (r: T) => boolean = isActive): Spend {
  const {start, end} = localDay(now)
  const spend: Spend = {usd: 0, workers: 0, running: 0}
  for (const r of records) {
    const at = new Date(r.started_at).getTime()
    if (!(at >= start.getTime() && at < end.getTime())) continue
    spend.workers++
    const cost = typeof r.cost_usd === 'number' && Number.isFinite(r.cost_usd) && r.cost_usd > 0 ? r.cost_usd : 0
    spend.usd += cost
    if (r.cost_usd == null && alive(r)) spend.running++
  }
  return spend
}

export const usd = (n: number): string => `$${n.toFixed(2)}`

/** "spent so far $X by N workers started today; M still running are not counted yet". Pure. */
export function describeSpend(s: Spend): string {
  const by = `spent so far ${usd(s.usd)} by ${s.workers} worker${s.workers === 1 ? '' : 's'} started today`
  return s.running > 0 ? `${by}; ${s.running} still running ${s.running === 1 ? 'is' : 'are'} not counted yet` : by
}

/** Has today's spend reached the cap? Pure. */
export function overBudget(s: Spend, dailyUsd: number): boolean {
  // A little slack, so that 0.1 + 0.2 reaches a cap of 0.3.
  return s.usd + 1e-9 >= dailyUsd
}

/** The status footer / doctor detail: today's spend against the cap. Pure. */
export function budgetLine(s: Spend, dailyUsd: number): string {
  return `today ${usd(s.usd)} of budget.dailyUsd ${usd(dailyUsd)} (${describeSpend(s)})${overBudget(s, dailyUsd) ? ': reached, new starts are refused until tomorrow' : ''}`
}

/** `dispatch doctor`'s line: the cap and today's spend from the registry's records; a warning once it is reached. Pure. */
export function budgetCheck(records: readonly SidequestRecord[], dailyUsd: number, now: Date): {name: string; status: 'ok' | 'warn'; detail: string; fix?: string} {
  const spend = todaysSpend(records, now)
  return overBudget(spend, dailyUsd)
    ? {name: 'budget', status: 'warn', detail: budgetLine(spend, dailyUsd), fix: 'Raise budget.dailyUsd in the config, or wait until tomorrow (local time).'}
    : {name: 'budget', status: 'ok', detail: budgetLine(spend, dailyUsd)}
}
