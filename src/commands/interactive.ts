import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base.js'
import {DISPATCH_USAGE, PASS_THROUGH_HINT, dispatchOptions, dryRunResult, refArg, splitPassThrough, type DryRunResult} from '../cli/dispatching.js'
import {print} from '../cli/print.js'
import {dispatchFlags} from '../cli/flags.js'
import {SURFACES} from '../lib/config/index.js'
import {dispatchInteractive, dryRun} from '../lib/dispatch/index.js'
import {terminalProgress} from '../cli/progress.js'
import {chooseSurface, fallbackFailure, type SurfaceResult} from '../lib/interactive/surfaces.js'
import type {SidequestRecord} from '../lib/registry/index.js'
import {renderDryRun, renderOpened} from '../lib/views/dispatch.js'

export type InteractiveOutput = (DryRunResult & {surface: string}) | {surface: SurfaceResult; record: SidequestRecord | null; worktree_slot: number}

export default class Interactive extends BaseCommand {
  static override summary = 'Open a live Claude Code session on an issue, in its worktree, with the prompt already submitted.'
  static override description =
    'Same resolution, checks, worktree and trust as headless, then a session on a surface: foreground (this terminal), tmux (a new window, or a detached session outside tmux), warp (a launch configuration), command (interactive.command from the config), or print (the line to paste). auto picks tmux inside tmux, else foreground on a terminal, else print. A surface that fails to launch falls back to print; when it was asked for by name (not auto), dispatch then exits 1.'
  static override examples = [
    '<%= config.bin %> interactive my-org/api#12',
    '<%= config.bin %> interactive my-org/api#12 --posture consult --surface tmux',
    '<%= config.bin %> interactive my-org/api#12 --surface print',
  ]
  static override args = refArg
  static override flags = {
    ...dispatchFlags,
    posture: Flags.string({description: 'watch: proceed, the PR is the review gate; consult: stop and ask on real judgment calls.', options: ['watch', 'consult'], default: 'watch'}),
    surface: Flags.string({description: 'Where the session opens (default: interactive.surface from config, else auto).', options: [...SURFACES]}),
  }
  static override usage = DISPATCH_USAGE
  static override strayHint = PASS_THROUGH_HINT

  async run(): Promise<InteractiveOutput> {
    const {own, claude} = splitPassThrough(this.argv)
    const {args, flags} = await this.parse(Interactive, own)
    const opts = dispatchOptions('interactive', args.ref, flags, claude)
    if (flags['max-budget-usd'] !== undefined) this.warnLine('warning: --max-budget-usd does not apply to an interactive session: claude enforces a budget only in print mode (headless and cascade workers).')
    const deps = await this.deps(flags.config)
    const ctx = await this.context(flags.config)
    this.audited = !opts.dryRun
    this.auditRef = args.ref.trim()
    const requested = (flags.surface as typeof SURFACES[number] | undefined) ?? ctx.config.interactive.surface
    const surface = chooseSurface(requested, deps.env, deps.streams.stdinTTY, deps.streams.stdoutTTY)
    const progress = terminalProgress(deps.streams.stderrTTY, this.jsonEnabled())
    if (opts.dryRun) {
      const plan = await dryRun(ctx, opts, progress)
      this.auditRef = plan.issue.ref
      this.auditForgeFallback = plan.issue.forgeFallback
      const result = {...dryRunResult(plan), surface}
      print(this, renderDryRun(result, surface))
      return result
    }
    const {plan, record, surface: outcome} = await dispatchInteractive(ctx, opts, surface, progress)
    this.auditRef = plan.issue.ref
    this.auditForgeFallback = plan.issue.forgeFallback
    this.auditPid = outcome.pid
    const failed = fallbackFailure(requested, outcome, !this.jsonEnabled())
    if (failed) {
      print(this, {stdout: outcome.command + '\n'})
      throw failed
    }
    print(this, renderOpened(outcome, {ref: plan.issue.ref, cwd: plan.cwd}), {statusFirst: true})
    if (outcome.surface === 'foreground' && outcome.exit_code !== undefined) process.exitCode = outcome.exit_code
    return {surface: outcome, record: record ?? null, worktree_slot: plan.worktree.slot}
  }
}
