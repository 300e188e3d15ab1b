import type {IncludeResult} from '../lib/bootstrap/include.js'
import {claudeOverrides, overrideMessage, passedOptions, type ClaudeOverride} from '../lib/claude.js'
import type {DispatchContext} from '../lib/context.js'
import {claudeOptions, dispatchHeadless, dryRun, type DispatchOptions, type DispatchPlan, type HeadlessResult} from '../lib/dispatch/index.js'
import {InterruptedError, UsageError} from '../lib/errors.js'
import {StartGuard} from '../lib/interrupt.js'
import type {Mode, SidequestRecord} from '../lib/registry/index.js'
import {renderDryRun, renderStarted, type DryRunResult} from '../lib/views/dispatch.js'
import type {CommandHost} from './host.js'
import {print} from './print.js'
import {parseBudget} from './flag-table.js'
import {terminalProgress} from './progress.js'

export type {DryRunResult} from '../lib/views/dispatch.js'

function continuationOf(c: NonNullable<DispatchPlan['continuation']>): NonNullable<DryRunResult['continuation']> {
  return {session_id: c.sessionId, attempt: c.attempt, round: c.round, continues: c.continues, reason: c.reason}
}

export function dryRunResult(plan: DispatchPlan & {includes?: IncludeResult}): DryRunResult {
  return {
    dry_run: true,
    mode: plan.mode,
    ref: plan.issue.ref,
    forge: plan.issue.forge,
    url: plan.issue.url,
    title: plan.issue.title,
    state: plan.issue.state,
    checkout: plan.checkout.dir,
    cwd: plan.cwd,
    branch: plan.branch,
    default_branch: plan.worktree.defaultBranch,
    worktree_action: plan.worktree.action,
    worktree_slot: plan.worktree.slot,
    claims: [...plan.claims],
    cascade_depth: plan.cascadeDepth,
    claude: {bin: plan.claudeBin, args: [...plan.args], stdin: 'prompt'},
    prompt: plan.prompt,
    bootstrap: {
      include: plan.includes?.copied ?? [],
      include_skipped: plan.includes?.skipped ?? [],
      setup: plan.bootstrap.setup ?? null,
    },
    ...(plan.continuation ? {continuation: continuationOf(plan.continuation)} : {}),
  }
}

/**
 * Split argv at the first literal `--`: dispatch's own flags and ref before it,
 * claude's arguments after it, untouched even when they look like dispatch
 * flags. oclif only ever sees the first part. Pure.
 */
export function splitPassThrough(rawArgv: readonly string[]): {own: string[]; claude: string[]} {
  const i = rawArgv.indexOf('--')
  return i === -1 ? {own: [...rawArgv], claude: []} : {own: rawArgv.slice(0, i), claude: rawArgv.slice(i + 1)}
}

/** What to do about an argument dispatch does not know: usually it was meant for claude. */
export const PASS_THROUGH_HINT = 'Put arguments meant for claude after --, e.g. dispatch headless org/repo#1 -- --max-turns 20.'

/** The usage line of the dispatching commands (oclif would show `REF...`). */
export const DISPATCH_USAGE = '<%= command.id %> REF [flags] [-- CLAUDE_ARGS...]'

/** headless and cascade also fan out (issue #14). */
export const FANOUT_USAGE = [DISPATCH_USAGE, '<%= command.id %> REF REF [REF ...] [flags] [-- CLAUDE_ARGS...]', '<%= command.id %> --label LABEL --repo OWNER/REPO [--limit N] [flags] [-- CLAUDE_ARGS...]']

export function dispatchOptions(mode: Mode, ref: string, flags: Record<string, unknown>, claudeArgs: readonly string[]): DispatchOptions {
  const budget = parseBudget(flags['max-budget-usd'] as string | undefined)
  if (Number.isNaN(budget)) throw new UsageError(`--max-budget-usd must be a positive number of dollars, got ${JSON.stringify(flags['max-budget-usd'])}.`, 'For example: --max-budget-usd 2.50')
  return {
    mode,
    ref,
    dryRun: Boolean(flags['dry-run']),
    claudeBin: flags['claude-bin'] as string | undefined,
    permissionMode: flags['permission-mode'] as string | undefined,
    allowedTools: (flags['allowed-tools'] as string[] | undefined)?.join(','),
    claims: (flags.claims as string[] | undefined) ?? [],
    worktree: flags.worktree !== false,
    force: Boolean(flags.force),
    model: flags.model as string | undefined,
    maxBudgetUsd: budget,
    depth: flags.depth as number | undefined,
    extraArgs: [...claudeArgs],
    posture: flags.posture as DispatchOptions['posture'],
    setup: flags.setup as boolean | undefined,
    runner: flags.runner as DispatchOptions['runner'],
    waitStart: Boolean(flags['wait-start']),
    sandbox: flags['no-sandbox'] ? 'none' : (flags.sandbox as DispatchOptions['sandbox']),
  }
}

/** A `--` argument that overrides a setting dispatch passes, as the JSON warnings carry it. */
export type OverrideWarning = {type: 'claude_override'; message: string} & ClaudeOverride

export type HeadlessOutput = DryRunResult | (SidequestRecord & {health: HeadlessResult['health']; warnings: Array<HeadlessResult['warnings'][number] | OverrideWarning>; worktree_slot: number})

/**
 * Say on stderr, once per run, which settings the extra claude arguments
 * override (src/lib/claude-args.ts); the argv claude gets carries only the
 * later value. Returns them for the JSON warnings.
 */
export function warnOverrides(cmd: CommandHost, ctx: DispatchContext, opts: DispatchOptions): OverrideWarning[] {
  const overrides = claudeOverrides(passedOptions(opts.mode, claudeOptions(ctx.config, opts)))
  for (const o of overrides) cmd.warnLine(`warning: ${overrideMessage(o)}`)
  return overrides.map((o) => ({type: 'claude_override', ...o, message: overrideMessage(o)}))
}

/** headless and cascade share everything but the mode. */
export async function runHeadlessCommand(cmd: CommandHost, mode: 'headless' | 'cascade', args: {ref: string}, flags: Record<string, unknown>, claudeArgs: readonly string[]): Promise<HeadlessOutput> {
  const opts = dispatchOptions(mode, args.ref, flags, claudeArgs)
  // Ctrl-C and SIGTERM become an InterruptedError that says what was (not) started.
  const guard = new StartGuard()
  return guard.race(() => headlessCommand(cmd, opts, flags, guard)).catch((error: unknown) => {
    if (error instanceof InterruptedError && error.pid) cmd.auditPid = error.pid
    throw error
  })
}

async function headlessCommand(cmd: CommandHost, opts: DispatchOptions, flags: Record<string, unknown>, guard: StartGuard): Promise<HeadlessOutput> {
  const ctx = await cmd.context(flags.config as string | undefined)
  const {streams} = await cmd.deps(flags.config as string | undefined)
  cmd.audited = !opts.dryRun
  cmd.auditRef = opts.ref.trim()
  const progress = terminalProgress(streams.stderrTTY, Boolean(flags.json))
  const overrides = warnOverrides(cmd, ctx, opts)
  if (opts.dryRun) {
    const plan = await dryRun(ctx, opts, progress)
    cmd.auditRef = plan.issue.ref
    cmd.auditForgeFallback = plan.issue.forgeFallback
    const result = dryRunResult(plan)
    print(cmd, renderDryRun(result))
    return result
  }
  const {plan, record, health, warnings} = await dispatchHeadless(ctx, opts, {progress, guard})
  cmd.auditRef = plan.issue.ref
  cmd.auditForgeFallback = plan.issue.forgeFallback
  cmd.auditPid = record.pid
  // Warnings go to stderr with or without --json; the JSON carries them too.
  for (const w of warnings) cmd.warnLine(`warning: ${w.message}`)
  print(cmd, renderStarted(record, {mode: opts.mode, health, retrying: warnings.some((w) => w.type === 'api_retry'), healthWindowMs: ctx.config.healthWindowMs}), {statusFirst: true})
  return {...record, health, warnings: [...overrides, ...warnings], worktree_slot: plan.worktree.slot}
}
