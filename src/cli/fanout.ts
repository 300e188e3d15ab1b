import {InterruptedError, toJsonError} from '../lib/errors.js'
import type {FanoutItem} from '../lib/fanout/index.js'
import {dispatchRequest} from '../lib/fanout/request.js'
import {fanoutTargets} from '../lib/fanout/targets.js'
import {renderFanout, type FanoutElement} from '../lib/views/fanout.js'
import type {CommandHost} from './host.js'
import {PASS_THROUGH_HINT, dispatchOptions, dryRunResult, runHeadlessCommand, warnOverrides, type HeadlessOutput} from './dispatching.js'
import {print} from './print.js'
import {terminalProgress} from './progress.js'

export type {FanoutElement} from '../lib/views/fanout.js'

/**
 * headless and cascade: one ref is today's dispatch, output unchanged; several
 * refs, or --label with --repo, fan out (one line or one JSON element per issue).
 */
export async function runDispatchCommand(cmd: CommandHost, mode: 'headless' | 'cascade', refs: string[], flags: Record<string, unknown>, claudeArgs: readonly string[]): Promise<HeadlessOutput | FanoutElement[] | undefined> {
  const help = `See: ${cmd.config.bin} ${mode} --help`
  const request = dispatchRequest(refs, {label: flags.label as string | undefined, repo: flags.repo as string | undefined, limit: flags.limit as number | undefined}, help)
  if (request.kind === 'single') return runHeadlessCommand(cmd, mode, {ref: request.ref}, flags, claudeArgs)

  // NOTE: imported here: one ref (the common case, and --dry-run) never loads the fan-out machinery.
  const {FanoutGuard, dispatchMany, fanoutExitCode} = await import('../lib/fanout/index.js')
  const {ref: _, ...opts} = dispatchOptions(mode, '', flags, claudeArgs)
  const guard = new FanoutGuard()
  const ctx = await cmd.context(flags.config as string | undefined)
  const {streams} = await cmd.deps(flags.config as string | undefined)
  const progress = terminalProgress(streams.stderrTTY, Boolean(flags.json))
  warnOverrides(cmd, ctx, {...opts, ref: ''})
  cmd.audited = !opts.dryRun
  const {items, interrupted} = await guard.run(async () => {
    // Ctrl-C while the forge lists the issues: nothing was started, go now.
    const stopped = guard.interrupted.then((signal): never => {
      throw new InterruptedError('Interrupted before any issue was dispatched; nothing was started.', signal)
    })
    const targets = await Promise.race([fanoutTargets(ctx, request, {mode, depth: opts.depth, passThroughHint: PASS_THROUGH_HINT}, progress), stopped])
    cmd.auditRef = targets.map((t) => t.ref).join(' ')
    return dispatchMany(ctx, opts, targets, {guard, progress})
  })
  cmd.auditRef = items.map((i) => i.ref).join(' ')
  const elements = items.map(toElement)
  for (const item of items) for (const w of item.started?.warnings ?? []) cmd.warnLine(`warning: ${item.ref}: ${w.message}`)
  print(cmd, renderFanout(elements, {mode, dryRun: opts.dryRun}))
  process.exitCode = fanoutExitCode(items, interrupted)
  if (interrupted) return stopNow(cmd, elements, interrupted)
  return elements
}

/**
 * An interrupted fan-out may still have a forge request, a git child or a
 * dispatch past its signal in flight: say what was started, then go at once
 * (BaseCommand.finally exits), so nothing starts after the report.
 */
function stopNow(cmd: CommandHost, elements: FanoutElement[], interrupted: InterruptedError): undefined {
  if (cmd.jsonEnabled()) cmd.printJson(elements)
  cmd.exitNow = interrupted.exitCode
  return undefined
}

function toElement(item: FanoutItem): FanoutElement {
  const out: FanoutElement = {input: item.input, ref: item.ref, outcome: item.outcome}
  if (item.started) out.worker = {...item.started.record, health: item.started.health, warnings: item.started.warnings, worktree_slot: item.started.plan?.worktree.slot ?? 1}
  if (item.plan) out.plan = dryRunResult(item.plan)
  if (item.error) {
    out.error = toJsonError(item.error).error
    if (item.error.tail && item.error.tail.length > 0) out.log_tail = [...item.error.tail]
  }
  return out
}
