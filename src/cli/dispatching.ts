import {Args} from '@oclif/core'

import {dispatchHeadless, dryRun, type DispatchOptions, type DispatchPlan, type HeadlessResult} from '../lib/dispatch/index.js'
import {InterruptedError, UsageError} from '../lib/errors.js'
import {StartGuard} from '../lib/interrupt.js'
import type {Mode, SidequestRecord} from '../lib/registry/index.js'
import {shellJoin, shellQuote} from '../lib/shell.js'
import {inertLine, inertText} from '../lib/terminal.js'
import {BaseCommand} from './base.js'
import {parseBudget} from './flags.js'
import {terminalProgress} from './progress.js'

export const refArg = {
  ref: Args.string({description: 'Issue reference: owner/repo#N or an issue URL.', required: true}),
}

/** `--dry-run` output, also the JSON shape. */
export interface DryRunResult {
  dry_run: true
  mode: Mode
  ref: string
  forge: string
  url: string
  title: string
  state: string
  checkout: string
  cwd: string
  branch: string
  default_branch: string
  worktree_action: string
  /** 1: the issue's own worktree; 2, 3, …: its own one, because --force met an active worker in the first. */
  worktree_slot: number
  claims: string[]
  cascade_depth: number
  /** argv never carries the prompt: claude reads it on stdin. */
  claude: {bin: string; args: string[]; stdin: 'prompt'}
  prompt: string
}

export function dryRunResult(plan: DispatchPlan): DryRunResult {
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
  }
}

const ACTIONS: Record<string, string> = {
  reuse: 'reuse the existing worktree',
  checkout: 'new worktree on the existing branch',
  create: 'new worktree and branch',
  'in-place': 'run in the checkout itself (--no-worktree)',
}

export function renderDryRun(r: DryRunResult): string {
  return [
    `Issue:    ${inertLine(r.ref)} (${r.forge}, ${r.state})`,
    `Title:    ${inertLine(r.title)}`,
    `URL:      ${inertLine(r.url)}`,
    `Checkout: ${r.checkout}`,
    `Worktree: ${r.cwd} (${ACTIONS[r.worktree_action] ?? r.worktree_action}${r.worktree_slot > 1 ? `; slot ${r.worktree_slot}, as an active worker has the issue's first` : ''})`,
    `Branch:   ${r.branch} (default branch ${r.default_branch})`,
    `Claims:   ${r.claims.length > 0 ? r.claims.join(', ') : '(none)'}`,
    `Cascade:  depth ${r.cascade_depth}`,
    `Command:  ${inertLine(shellJoin([r.claude.bin, ...r.claude.args]))} <prompt on stdin>`,
    '',
    'Prompt:',
    inertText(r.prompt),
  ].join('\n')
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
  }
}

export type HeadlessOutput = DryRunResult | (SidequestRecord & {health: HeadlessResult['health']; warnings: HeadlessResult['warnings']; worktree_slot: number})

/** headless and cascade share everything but the mode. */
export async function runHeadlessCommand(cmd: BaseCommand, mode: 'headless' | 'cascade', args: {ref: string}, flags: Record<string, unknown>, claudeArgs: readonly string[]): Promise<HeadlessOutput> {
  const opts = dispatchOptions(mode, args.ref, flags, claudeArgs)
  // Ctrl-C and SIGTERM become an InterruptedError that says what was (not) started.
  const guard = new StartGuard()
  return guard.race(() => headlessCommand(cmd, opts, flags, guard)).catch((error: unknown) => {
    if (error instanceof InterruptedError && error.pid) cmd.auditPid = error.pid
    throw error
  })
}

async function headlessCommand(cmd: BaseCommand, opts: DispatchOptions, flags: Record<string, unknown>, guard: StartGuard): Promise<HeadlessOutput> {
  const ctx = await cmd.context(flags.config as string | undefined)
  cmd.audited = !opts.dryRun
  cmd.auditRef = opts.ref.trim()
  const progress = terminalProgress(Boolean(process.stderr.isTTY), Boolean(flags.json))
  if (opts.dryRun) {
    const plan = await dryRun(ctx, opts, progress)
    cmd.auditRef = plan.issue.ref
    cmd.auditForgeFallback = plan.issue.forgeFallback
    const result = dryRunResult(plan)
    if (!flags.json) process.stdout.write(renderDryRun(result) + '\n')
    return result
  }
  const {plan, record, health, warnings} = await dispatchHeadless(ctx, opts, {progress, guard})
  cmd.auditRef = plan.issue.ref
  cmd.auditForgeFallback = plan.issue.forgeFallback
  cmd.auditPid = record.pid
  // Warnings go to stderr with or without --json; the JSON carries them too.
  for (const w of warnings) cmd.warnLine(`warning: ${w.message}`)
  if (!flags.json) {
    const how = health === 'replied' ? 'the model replied' : health === 'finished' ? 'it already finished successfully' : warnings.length > 0 ? `alive after ${ctx.config.healthWindowMs} ms, claude still retrying the API` : `alive and error-free after ${ctx.config.healthWindowMs} ms`
    process.stderr.write(`✓ Started ${opts.mode} worker for ${inertLine(record.ref)} (${how})\n`)
    process.stdout.write(
      [
        `ref     ${inertLine(record.ref)}: ${inertLine(record.title)}`,
        `pid     ${record.pid}`,
        `cwd     ${record.cwd}`,
        `branch  ${record.branch}`,
        `log     ${record.log_path}`,
        `follow  dispatch status ${shellQuote(record.ref)} --follow`,
      ].join('\n') + '\n',
    )
  }
  return {...record, health, warnings, worktree_slot: plan.worktree.slot}
}
