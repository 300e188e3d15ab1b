/** What one watch carries and its limits: the config's `watch` key under the command's flags. Pure. */
import type {Config} from '../config/index.js'
import {UsageError} from '../errors.js'
import {parseRepoFlag} from '../forges/labelled.js'
import {checkLabel} from '../forges/listing.js'
import {assertOwnerAllowed} from '../policy.js'

export interface WatchSource {
  owner: string
  repo: string
  label: string
}

export interface WatchSettings {
  sources: WatchSource[]
  intervalMs: number
  /** Workers started by watch that may be active at once (Slurm ones included). */
  maxActive: number
  maxAttempts: number
  maxRounds: number
  stallMs: number
  comment: boolean
}

export interface WatchFlags {
  repo?: string[]
  label?: string
  interval?: string
  maxActive?: number
}

/** `--interval`: seconds as a number, or with a unit: 90s, 5m, 1h. */
export function parseInterval(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*$/i.exec(text)
  const seconds = m ? Number(m[1]) * {s: 1, m: 60, h: 3600}[(m[2] ?? 's').toLowerCase() as 's' | 'm' | 'h'] : Number.NaN
  if (!Number.isFinite(seconds) || seconds < 1 || seconds > 86_400) {
    throw new UsageError(`--interval must be a duration between 1 s and 24 h (30, 90s, 5m, 1h), got "${text}".`, 'For example: --interval 2m')
  }
  return Math.round(seconds * 1000)
}

export function watchSettings(config: Config, flags: WatchFlags): WatchSettings {
  const w = config.watch
  let sources: WatchSource[]
  if (flags.repo && flags.repo.length > 0) {
    if (!flags.label) throw new UsageError('--repo needs --label: watch carries the open issues of a repository that carry a label.', 'For example: dispatch watch --repo my-org/api --label dispatch')
    sources = flags.repo.map((r) => ({...parseRepoFlag(r), label: checkLabel(flags.label!)}))
  } else if (flags.label) {
    throw new UsageError('--label needs --repo: name the repositories whose issues carry it.', 'For example: dispatch watch --repo my-org/api --label dispatch, or list sources under watch.sources in the config.')
  } else {
    sources = w.sources.map((s) => ({...parseRepoFlag(s.repo), label: checkLabel(s.label)}))
  }
  if (sources.length === 0) {
    throw new UsageError(`Nothing to watch: no --repo/--label and no watch.sources in ${config.file}.`, 'Run: dispatch watch --repo my-org/api --label dispatch, or add watch: {sources: [{repo: my-org/api, label: dispatch}]} to the config.')
  }
  // Two sources naming one repository and label would list it twice a pass.
  const seen = new Set<string>()
  sources = sources.filter((s) => {
    const key = `${s.owner}/${s.repo}:${s.label}`.toLowerCase()
    return seen.has(key) ? false : (seen.add(key), true)
  })
  // An owner outside the allow-list is refused before any pass, as a dispatch would refuse each of its issues.
  for (const s of sources) assertOwnerAllowed(s.owner, config.allowedOwners, ` (watched repository ${s.owner}/${s.repo})`)
  if (flags.maxActive !== undefined && (!Number.isInteger(flags.maxActive) || flags.maxActive < 1)) {
    throw new UsageError(`--max-active must be a positive integer, got ${flags.maxActive}.`, 'For example: --max-active 4')
  }
  return {
    sources,
    intervalMs: flags.interval === undefined ? w.intervalSeconds * 1000 : parseInterval(flags.interval),
    maxActive: flags.maxActive ?? w.maxActive ?? config.maxActive,
    maxAttempts: w.maxAttempts,
    maxRounds: w.maxRounds,
    stallMs: w.stallMinutes * 60_000,
    comment: w.comment,
  }
}
