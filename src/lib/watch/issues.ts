/**
 * The issues one pass works on: what its sources listed (merged per
 * repository), and the watched runs of those repositories' issues that left
 * the listing but still need following (a merge to reap, a worker to stop).
 */
import {isActive, type SidequestRecord} from '../registry/index.js'
import type {Action, BranchFacts} from './decide.js'
import type {WorkerEnd} from './ending.js'
import type {WatchEvent} from './report.js'
import {sourceKey, type ListedIssue, type SourceListing} from './sources.js'

export interface Issue {
  ref: string
  /** What a dispatch resolves: the URL the forge listed, or the last run's. */
  input: string
  /** In this pass's listing; undefined when its source could not be listed. */
  listed: boolean | undefined
  /** Every run of the issue, oldest first. */
  runs: SidequestRecord[]
  active: boolean
  action?: Action
  branch?: BranchFacts
  end?: WorkerEnd
}

/** Say an event; with `once`, only when it changed since `key` (default: the ref and the event) last said it. */
export type Say = (e: WatchEvent, once?: string, key?: string) => void

/** Per repository (lower-cased owner/repo): its listed issues by lower-cased ref, or undefined when a source of it failed. */
export type Listed = Map<string, Map<string, ListedIssue> | undefined>

export function mergeListings(listings: readonly SourceListing[], say: Say): Listed {
  const listed: Listed = new Map()
  for (const l of listings) {
    // Once per source (each has its own key: two failing sources would else take turns and repeat every pass); a rate
    // limit once with its reset, as the passes it holds back say nothing new (their own text is only "rate limited").
    if (l.error) say({ref: null, event: 'error', message: `could not list ${l.source.owner}/${l.source.repo} (label ${l.source.label}): ${l.error}`, ...(l.resetAt ? {until: l.resetAt.toISOString()} : {})}, l.resetAt ? `rate limited until ${l.resetAt.toISOString()}` : l.error, `source ${l.source.owner}/${l.source.repo}:${l.source.label}:error`)
    const key = sourceKey(l.source.owner, l.source.repo)
    const known = listed.get(key)
    if (!l.issues) {
      listed.set(key, undefined)
      continue
    }
    // A repository with a failed source counts as unlisted this pass: nothing of it looks like it left.
    if (listed.has(key) && known === undefined) continue
    // Two labels on one repository: listed under either.
    const map = known ?? new Map<string, ListedIssue>()
    for (const i of l.issues) map.set(i.ref.toLowerCase(), i)
    listed.set(key, map)
  }
  return listed
}

export function gatherIssues(listed: Listed, records: readonly SidequestRecord[]): Map<string, Issue> {
  const byRef = new Map<string, SidequestRecord[]>()
  for (const r of records) {
    const k = r.ref.toLowerCase()
    if (!byRef.has(k)) byRef.set(k, [])
    byRef.get(k)!.push(r)
  }
  const issues = new Map<string, Issue>()
  for (const [key, map] of listed) {
    for (const i of map?.values() ?? []) issues.set(i.ref.toLowerCase(), {ref: i.ref, input: i.input, listed: true, runs: [], active: false})
    for (const [ref, runs] of byRef) {
      if (issues.has(ref) || !ref.startsWith(`${key}#`)) continue
      const last = runs.at(-1)!
      if (!last.watched || last.given_up || last.watch_done) continue
      issues.set(ref, {ref: last.ref, input: last.url || last.ref, listed: map ? false : undefined, runs: [], active: false})
    }
  }
  for (const issue of issues.values()) {
    issue.runs = (byRef.get(issue.ref.toLowerCase()) ?? []).sort((a, b) => Date.parse(a.started_at) - Date.parse(b.started_at))
    issue.active = issue.runs.some((r) => isActive(r))
  }
  return issues
}
