/**
 * What a fan-out prints (`dispatch headless REF REF …`, `--label`): one line
 * per issue on stdout, in the order given, then a tally on stderr. Pure.
 */
import type {JsonError} from '../errors.js'
import {workerLabel, type SidequestRecord} from '../registry/index.js'
import {inertLine} from '../terminal.js'
import type {SandboxWarning} from '../sandbox/index.js'
import type {StartWarning} from '../worker/stream/index.js'
import type {DryRunResult} from './dispatch.js'
import type {Rendered} from './facts.js'

/** One issue of a fan-out, as --json prints it (an array of these). */
export interface FanoutElement {
  /** What was dispatched: as typed, or the issue URL a --label listing gave. */
  input: string
  /** owner/repo#N, canonical once the forge answered. */
  ref: string
  outcome: 'started' | 'planned' | 'refused' | 'failed' | 'skipped'
  /** started: the record, as a single dispatch's --json prints it; health "interrupted" when Ctrl-C came first. */
  worker?: SidequestRecord & {health: string; warnings: Array<StartWarning | SandboxWarning>; worktree_slot: number}
  /** planned (--dry-run): the plan, as a single --dry-run --json prints it. */
  plan?: DryRunResult
  /** refused, failed, skipped: why, as a single dispatch's JSON error says it. */
  error?: JsonError['error']
  /** failed at start: the worker's last log lines. */
  log_tail?: string[]
}

const HEALTH: Record<string, string> = {
  replied: 'the model replied',
  finished: 'already finished successfully',
  window: 'alive and error-free',
  interrupted: 'health not awaited: interrupted',
  queued: 'queued in Slurm',
  running: 'running in Slurm',
}

function detail(e: FanoutElement): string {
  if (e.worker) return `${workerLabel(e.worker)}  ${e.worker.branch}  (${HEALTH[e.worker.health] ?? e.worker.health}${e.worker.warnings.some((w) => w.type === 'api_retry') ? ', claude retrying the API' : ''}${e.worker.warnings.some((w) => w.type === 'permission_denied') ? ', tool calls refused' : ''})`
  if (e.plan) return `${e.plan.cwd} on ${e.plan.branch} (${e.plan.worktree_action})`
  return e.error ? inertLine(e.error.message) : ''
}

export function renderFanout(elements: readonly FanoutElement[], how: {mode: string; dryRun: boolean}): Rendered {
  const width = Math.max(0, ...elements.map((e) => e.ref.length))
  const stdout = elements.map((e) => `${e.outcome.padEnd(7)}  ${inertLine(e.ref).padEnd(width)}  ${detail(e)}`.trimEnd() + '\n').join('')
  const count = (o: FanoutElement['outcome']) => elements.filter((e) => e.outcome === o).length
  const n = elements.length
  const issues = `${n} issue${n === 1 ? '' : 's'}`
  const rest = [['refused', count('refused')], ['failed', count('failed')], ['not started (interrupted)', count('skipped')]]
    .filter(([, c]) => (c as number) > 0)
    .map(([w, c]) => `${c} ${w}`)
  let stderr: string
  if (how.dryRun) stderr = `${count('planned') === n ? '✓ ' : ''}Planned ${count('planned')} of ${issues}${rest.length > 0 ? `; ${rest.join(', ')}` : ''} (dry run: nothing started).\n`
  else {
    const started = count('started')
    stderr = `${started === n ? '✓ ' : ''}Started ${started} ${how.mode} worker${started === 1 ? '' : 's'} for ${issues}${rest.length > 0 ? `; ${rest.join(', ')}` : ''}.\n`
    if (started > 0) stderr += 'See how they are doing: dispatch status (one worker: dispatch status REF --follow)\n'
  }
  for (const e of elements) {
    if (e.log_tail && e.log_tail.length > 0) stderr += `\nLast lines of ${inertLine(e.ref)}'s log:\n${e.log_tail.map((l) => `  ${inertLine(l)}`).join('\n')}\n`
  }
  return {stdout, stderr}
}
