import {Flags} from '@oclif/core'

import {PERMISSION_MODES, SANDBOX_KINDS} from '../lib/config/index.js'

/** Flags shared by headless, cascade and interactive (SPEC §1). */
export const dispatchFlags = {
  'dry-run': Flags.boolean({description: 'Print the resolved issue, cwd, branch, claude argv and prompt; change nothing.'}),
  'claude-bin': Flags.string({description: 'The claude binary to run (default: claude.bin from config, else claude on PATH).', helpValue: '<path>'}),
  'permission-mode': Flags.string({description: 'Claude permission mode (default: claude.permissionMode, else auto).', options: [...PERMISSION_MODES]}),
  // NOTE: list flags are non-greedy: `--claims src acme/api#1` must leave the
  // ref alone, so each value is one token (comma-separated or repeated).
  'allowed-tools': Flags.string({description: 'Tools the worker may use without asking, comma-separated, repeatable (default Bash,Read,Edit,Write,Glob,Grep,TodoWrite).', multiple: true, multipleNonGreedy: true, helpValue: '<tools>'}),
  claims: Flags.string({description: 'Paths in the issue\'s repository this worker will edit, comma-separated, repeatable; relative to the current directory inside the checkout or a worktree, else to the repository root.', multiple: true, multipleNonGreedy: true, helpValue: '<paths>'}),
  worktree: Flags.boolean({description: 'Give the work its own git worktree (--no-worktree runs in the checkout itself).', default: true, allowNo: true}),
  setup: Flags.boolean({description: 'Run worktree.setup even in a reused worktree (--no-setup: never; default: only in a new worktree).', allowNo: true}),
  force: Flags.boolean({description: 'Start even if the issue already has an active worker or a claim overlaps (never overrides owner or state checks).'}),
  model: Flags.string({description: 'Model for claude (default: claude.model from config).', helpValue: '<model>'}),
  'max-budget-usd': Flags.string({description: 'Dollar cap passed to claude (default: claude.maxBudgetUsd).', helpValue: '<n>'}),
  sandbox: Flags.string({description: 'Confine the worker: bubblewrap, or none (default: sandbox.kind from config, per repository under repos too).', options: [...SANDBOX_KINDS], helpValue: '<kind>'}),
  'no-sandbox': Flags.boolean({description: 'Run the worker unsandboxed (the same as --sandbox none).', exclusive: ['sandbox']}),
}

export function parseBudget(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(n > 0)) return Number.NaN
  return n
}

/** Fan-out flags of headless and cascade (issue #14). */
export const fanoutFlags = {
  label: Flags.string({description: 'Dispatch every open issue with this label (needs --repo); each gets the checks of a single dispatch.', helpValue: '<label>'}),
  repo: Flags.string({description: 'The repository whose labelled issues --label dispatches, as owner/repo.', helpValue: '<owner/repo>'}),
  limit: Flags.integer({description: 'At most this many issues for --label (default 30).', min: 1, helpValue: '<n>'}),
}

/** headless and cascade: where the worker runs. */
export const runnerFlags = {
  runner: Flags.string({description: 'Where the worker runs: local (a detached process here) or slurm (a batch job; default: runner.kind from config, else local).', options: ['local', 'slurm']}),
  'wait-start': Flags.boolean({description: 'Slurm: return only once the job runs and the model replied, not as soon as the job is queued.'}),
}
