/**
 * What `headless`, `cascade` and `interactive` print: the dry-run plan, the
 * "Started" block of a headless worker, and where an interactive session
 * opened. Pure: data in, text per stream out.
 */
import type {Mode} from '../registry/index.js'
import type {SidequestRecord} from '../registry/index.js'
import type {SurfaceResult} from '../interactive/surfaces.js'
import {shellJoin, shellQuote} from '../shell.js'
import {inertLine, inertText} from '../terminal.js'

import type {Rendered} from './facts.js'

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
  /** What a new worktree gets before the worker starts: .worktreeinclude copies and the setup command (null: none runs). */
  bootstrap: {include: string[]; include_skipped: Array<{path: string; reason: string}>; setup: string | null}
  /** dispatch watch's run: the session it resumes (null: a fresh start) and where it stands in the issue's chain; absent otherwise. */
  continuation?: {session_id: string | null; attempt: number; round: number; continues: string | null; reason: string | null}
}

const ACTIONS: Record<string, string> = {
  reuse: 'reuse the existing worktree',
  checkout: 'new worktree on the existing branch',
  create: 'new worktree and branch',
  'in-place': 'run in the checkout itself (--no-worktree)',
}

/** The plan `--dry-run` shows; interactive adds the surface it would use first. */
export function renderDryRun(r: DryRunResult, surface?: string): Rendered {
  const lines = [
    ...(surface === undefined ? [] : [`Surface:  ${surface}`]),
    `Issue:    ${inertLine(r.ref)} (${r.forge}, ${r.state})`,
    `Title:    ${inertLine(r.title)}`,
    `URL:      ${inertLine(r.url)}`,
    `Checkout: ${r.checkout}`,
    `Worktree: ${r.cwd} (${ACTIONS[r.worktree_action] ?? r.worktree_action}${r.worktree_slot > 1 ? `; slot ${r.worktree_slot}, as an active worker has the issue's first` : ''})`,
    `Branch:   ${r.branch} (default branch ${r.default_branch})`,
    `Claims:   ${r.claims.length > 0 ? r.claims.join(', ') : '(none)'}`,
    `Cascade:  depth ${r.cascade_depth}`,
    `Setup:    ${r.bootstrap.setup === null ? '(none)' : inertLine(r.bootstrap.setup)}`,
    `Copy:     ${r.bootstrap.include.length > 0 ? r.bootstrap.include.map(inertLine).join(', ') : '(nothing from .worktreeinclude)'}`,
    ...r.bootstrap.include_skipped.map((s) => `          not ${inertLine(s.path)}: ${inertLine(s.reason)}`),
    ...(r.continuation ? [`Resumes:  ${continuationLine(r.continuation)}`] : []),
    `Command:  ${inertLine(shellJoin([r.claude.bin, ...r.claude.args]))} <prompt on stdin>`,
    '',
    'Prompt:',
    inertText(r.prompt),
  ]
  return {stdout: lines.join('\n') + '\n', stderr: ''}
}

function continuationLine(c: NonNullable<DryRunResult['continuation']>): string {
  const where = `attempt ${c.attempt}, round ${c.round}${c.reason ? ` (${c.reason})` : ''}${c.continues ? `, after ${inertLine(c.continues)}` : ''}`
  return c.session_id ? `session ${inertLine(c.session_id)}, ${where}` : `no session to resume: a fresh start, ${where}`
}

/** A headless (or cascade) worker that passed its health window: the status line, then where to find it. */
export function renderStarted(
  record: Pick<SidequestRecord, 'ref' | 'title' | 'pid' | 'cwd' | 'branch' | 'log_path' | 'port' | 'worker_index' | 'job_id' | 'node'>,
  how: {mode: string; health: string; retrying: boolean; healthWindowMs: number},
): Rendered {
  const said =
    how.health === 'queued'
      ? `Slurm job ${record.job_id} queued`
      : how.health === 'running'
        ? `Slurm job ${record.job_id} running${record.node ? ` on ${inertLine(record.node)}` : ''}`
        : how.health === 'replied' ? 'the model replied' : how.health === 'finished' ? 'it already finished successfully' : how.retrying ? `alive after ${how.healthWindowMs} ms, claude still retrying the API` : `alive and error-free after ${how.healthWindowMs} ms`
  return {
    stderr: `✓ Started ${how.mode} worker for ${inertLine(record.ref)} (${said})\n`,
    stdout:
      [
        `ref     ${inertLine(record.ref)}: ${inertLine(record.title)}`,
        record.job_id ? `job     ${record.job_id}` : `pid     ${record.pid}`,
        `cwd     ${record.cwd}`,
        `branch  ${record.branch}`,
        ...(typeof record.port === 'number' ? [`port    ${record.port} (DISPATCH_PORT; worker index ${record.worker_index})`] : []),
        `log     ${record.log_path}`,
        `follow  dispatch status ${shellQuote(record.ref)} --follow`,
      ].join('\n') + '\n',
  }
}

/** Where an interactive session opened, or the line to paste when it did not. */
export function renderOpened(outcome: SurfaceResult, plan: {ref: string; cwd: string}): Rendered {
  let stdout = ''
  let stderr = ''
  if (outcome.fallback_reason) stderr += `warning: could not open the session (${inertLine(outcome.fallback_reason)}); nothing is running. Start it yourself:\n`
  if (outcome.surface === 'print') {
    stdout += outcome.command + '\n'
    if (outcome.expires_at) stderr += `  Paste it by ${outcome.expires_at}: until then it holds ${inertLine(plan.ref)}'s place (dispatch sidequests list shows it; dispatch stop ends it).\n`
  }
  else if (outcome.surface === 'foreground') stderr += `claude exited with code ${outcome.exit_code}\n`
  else {
    stderr += `✓ Opened ${inertLine(plan.ref)} on ${outcome.surface}${outcome.pid ? ` (pid ${outcome.pid})` : ''} in ${plan.cwd}\n`
    if (!outcome.pid) stderr += '  The session has not started yet; it appears in dispatch sidequests list once it does.\n'
    if (outcome.attach) stdout += `attach  ${outcome.attach}\n`
    if (outcome.launch_config) stdout += `launch  ${outcome.launch_config}\n`
  }
  return {stdout, stderr}
}
