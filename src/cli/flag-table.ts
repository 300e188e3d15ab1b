/**
 * The dispatching commands' flags, declared once: src/cli/flags.ts builds
 * oclif's flag objects from these tables and the start-up fast path
 * (src/cli/fast-parse.ts) parses argv with them, so the two read the same
 * names, types, defaults and allowed values. No oclif import here: the fast
 * path must not load it.
 */
import {PERMISSION_MODES, SANDBOX_KINDS, SURFACES} from '../lib/config/index.js'

export interface FlagSpec {
  type: 'boolean' | 'string' | 'integer'
  description: string
  helpValue?: string
  /** The only values a string flag takes. */
  options?: readonly string[]
  /** Repeatable; each occurrence takes one token (never greedy: `--claims src acme/api#1` leaves the ref alone). */
  multiple?: boolean
  /** A boolean that also takes `--no-NAME`. */
  allowNo?: boolean
  default?: boolean | string
  min?: number
  max?: number
  /** Flags this one may not be given with (oclif's `exclusive`; the fast path leaves such argv to oclif). */
  exclusive?: readonly string[]
}

export type FlagTable = Readonly<Record<string, FlagSpec>>

/** Every command's own: the config file and machine output (SPEC §1). */
export const GLOBAL_FLAGS = {
  config: {type: 'string', description: 'Config file to use instead of the search (also DISPATCH_CONFIG).', helpValue: '<file>'},
  json: {type: 'boolean', description: 'Format output as json.'},
} as const satisfies FlagTable

/** Whether the worker runs confined (SPEC §11): on every dispatching command and on attach. */
export const SANDBOX_FLAGS = {
  sandbox: {type: 'string', description: 'Confine the worker: bubblewrap, or none (default: sandbox.kind from config, per repository under repos too).', options: SANDBOX_KINDS, helpValue: '<kind>'},
  'no-sandbox': {type: 'boolean', description: 'Run the worker unsandboxed (the same as --sandbox none).', exclusive: ['sandbox']},
} as const satisfies FlagTable

/** Shared by headless, cascade and interactive (SPEC §1). */
export const DISPATCH_FLAGS = {
  'dry-run': {type: 'boolean', description: 'Print the resolved issue, cwd, branch, claude argv and prompt; change nothing.'},
  'claude-bin': {type: 'string', description: 'The claude binary to run (default: claude.bin from config, else claude on PATH).', helpValue: '<path>'},
  'permission-mode': {type: 'string', description: 'Claude permission mode (default: claude.permissionMode, else auto).', options: PERMISSION_MODES},
  'allowed-tools': {type: 'string', description: 'Tools the worker may use without asking, comma-separated, repeatable (default Bash,Read,Edit,Write,Glob,Grep,TodoWrite).', multiple: true, helpValue: '<tools>'},
  claims: {type: 'string', description: "Paths in the issue's repository this worker will edit, comma-separated, repeatable; relative to the current directory inside the checkout or a worktree, else to the repository root.", multiple: true, helpValue: '<paths>'},
  worktree: {type: 'boolean', description: 'Give the work its own git worktree (--no-worktree runs in the checkout itself).', default: true, allowNo: true},
  setup: {type: 'boolean', description: 'Run worktree.setup even in a reused worktree (--no-setup: never; default: only in a new worktree).', allowNo: true},
  force: {type: 'boolean', description: 'Start even if the issue already has an active worker or a claim overlaps (never overrides owner or state checks).'},
  model: {type: 'string', description: 'Model for claude (default: claude.model from config).', helpValue: '<model>'},
  'max-budget-usd': {type: 'string', description: 'Dollar cap passed to claude (default: claude.maxBudgetUsd).', helpValue: '<n>'},
  ...SANDBOX_FLAGS,
} as const satisfies FlagTable

/** Fan-out flags of headless and cascade (issue #14). */
export const FANOUT_FLAGS = {
  label: {type: 'string', description: 'Dispatch every open issue with this label (needs --repo); each gets the checks of a single dispatch.', helpValue: '<label>'},
  repo: {type: 'string', description: 'The repository whose labelled issues --label dispatches, as owner/repo.', helpValue: '<owner/repo>'},
  limit: {type: 'integer', description: 'At most this many issues for --label (default 30).', min: 1, helpValue: '<n>'},
} as const satisfies FlagTable

/** headless and cascade: where the worker runs. */
export const RUNNER_FLAGS = {
  runner: {type: 'string', description: 'Where the worker runs: local (a detached process here) or slurm (a batch job; default: runner.kind from config, else local).', options: ['local', 'slurm']},
  'wait-start': {type: 'boolean', description: 'Slurm: return only once the job runs and the model replied, not as soon as the job is queued.'},
} as const satisfies FlagTable

export const CASCADE_FLAGS = {
  depth: {type: 'integer', description: 'Cascade budget, 1 to 5 (nested cascades get the inherited budget minus one).', min: 1, max: 5, helpValue: '<n>'},
} as const satisfies FlagTable

export const INTERACTIVE_FLAGS = {
  posture: {type: 'string', description: 'watch: proceed, the PR is the review gate; consult: stop and ask on real judgment calls.', options: ['watch', 'consult'], default: 'watch'},
  surface: {type: 'string', description: 'Where the session opens (default: interactive.surface from config, else auto).', options: SURFACES},
} as const satisfies FlagTable

/** Each dispatching command's own flags (without GLOBAL_FLAGS), and whether it takes several refs. */
export const DISPATCH_COMMANDS = {
  headless: {flags: {...DISPATCH_FLAGS, ...FANOUT_FLAGS, ...RUNNER_FLAGS}, manyRefs: true},
  cascade: {flags: {...DISPATCH_FLAGS, ...FANOUT_FLAGS, ...RUNNER_FLAGS, ...CASCADE_FLAGS}, manyRefs: true},
  interactive: {flags: {...DISPATCH_FLAGS, ...INTERACTIVE_FLAGS}, manyRefs: false},
} as const satisfies Record<string, {flags: FlagTable; manyRefs: boolean}>

export type DispatchCommandId = keyof typeof DISPATCH_COMMANDS

/** `--max-budget-usd`: a positive number of dollars; NaN for anything else. Pure. */
export function parseBudget(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(n > 0)) return Number.NaN
  return n
}
