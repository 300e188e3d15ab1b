import type {WorkerSlot} from '../bootstrap/slots.js'
import type {RepoRoot} from '../claims/index.js'
import type {Config, PromptKind, SandboxChoice, SandboxKind} from '../config/index.js'
import type {ResolvedIssue} from '../forges/index.js'
import type {Mode, SidequestRecord} from '../registry/index.js'
import type {RunnerKind} from '../runners/index.js'
import type {Checkout} from '../workspace.js'
import type {BranchFacts, WorktreePlan} from '../worktree/index.js'

export type Posture = 'watch' | 'consult'

/** What the operator asked for: a command's flags, parsed. */
export interface DispatchOptions {
  mode: Mode
  ref: string
  dryRun: boolean
  claudeBin?: string
  permissionMode?: string
  allowedTools?: string
  claims: string[]
  worktree: boolean
  force: boolean
  model?: string
  maxBudgetUsd?: number
  depth?: number
  extraArgs: string[]
  posture?: Posture
  /** How the worker is started (headless and cascade); default: runner.kind from config, else `local`. */
  runner?: RunnerKind
  /** --setup (true: run worktree.setup even in a reused worktree) / --no-setup (false: never); undefined: in a new worktree only. */
  setup?: boolean
  /** Slurm: return only once the job runs and the model replied (local workers always wait for that). */
  waitStart?: boolean
  /** --sandbox KIND / --no-sandbox; undefined: the config's (repos.<r>.sandbox over sandbox). */
  sandbox?: SandboxKind
  /** dispatch watch: this run carries an issue's chain on (a retry or a round), resuming the last run's session. */
  continuation?: Continuation
  /** Started by dispatch watch (the record says so). */
  watched?: boolean
}

/** What dispatch watch hands a run that goes on from an earlier one (src/lib/watch/). */
export interface Continuation {
  /** claude's session to resume (`--resume <id>`); null: the earlier run left none, so this one starts afresh from the template prompt. */
  sessionId: string | null
  /** What the resumed session reads on stdin (unused when sessionId is null). */
  prompt: string
  attempt: number
  round: number
  /** recordKey of the run this goes on from; null for a chain's first run. */
  continues: string | null
  reason: 'retry' | 'nudge' | 'checks' | 'review' | null
  /** The issue's tracker comment, carried from run to run. */
  trackerCommentId?: number | null
}

/** What the forge and the filesystem say before anything is locked; read once per dispatch. */
export interface RemoteFacts {
  config: Config
  /** DISPATCH_CASCADE_DEPTH as inherited, CLAUDE_CODE_SESSION_ID, the directory dispatch runs in. */
  inheritedDepth: string | undefined
  parentSession: string | null
  cwd: string
  issue: ResolvedIssue
  checkout: Checkout
  claudeBin: string
  /** The prompt template for this mode and posture. */
  template: string
  /** The shell command that runs this very dispatch, for cascade workers' prompts. */
  dispatchCommand: string
}

/** What the repository and the registry say; read again under the lock for a real dispatch. */
export interface LocalFacts {
  /** With a worktree: the issue's branches and worktrees. */
  branches?: BranchFacts
  /** Without one (--no-worktree): the checkout's branch and default branch. */
  inPlace?: {branch: string; defaultBranch: string; startPoint: string}
  /** The repository's checkout and worktrees, for --claims (read only when there are claims). */
  roots: RepoRoot[]
  /** Active workers: their worktrees are busy (and admit checks against them). */
  active: SidequestRecord[]
  /** Worktrees whose bootstrap a killed dispatch left unfinished: a reuse bootstraps them again. */
  unfinishedBootstrap?: string[]
}

/** What a dispatch will do, decided by `planDispatch` from the facts alone; never changed afterwards. */
export interface DispatchPlan {
  readonly mode: Mode
  readonly runner: RunnerKind
  readonly waitStart: boolean
  readonly issue: ResolvedIssue
  readonly checkout: Checkout
  readonly worktree: WorktreePlan
  readonly cwd: string
  readonly branch: string
  /** `owner/repo` of the issue, which its claims belong to. */
  readonly repo: string
  /** Relative to the repository root. */
  readonly claims: readonly string[]
  /** The repository's checkout and worktrees, as the claims were resolved against. */
  readonly claimRoots: readonly RepoRoot[]
  readonly cascadeDepth: number
  readonly claudeBin: string
  /** argv after the binary; never the prompt. */
  readonly args: readonly string[]
  /** What claude reads on stdin. */
  readonly prompt: string
  readonly promptKind: PromptKind
  readonly parentSession: string | null
  /** What is done to the worktree before the worker starts: the .worktreeinclude copy, the setup command. */
  readonly bootstrap: {readonly include: boolean; readonly setup?: string}
  /** DISPATCH_WORKER_INDEX and DISPATCH_PORT, from the repository's active workers. */
  readonly slot: WorkerSlot
  /** How the worker is confined, and who chose that. */
  readonly sandbox: SandboxChoice
  /** dispatch watch's run: the chain it belongs to (attempt, round, the run it goes on from). */
  readonly continuation?: Continuation
  readonly watched?: boolean
  /** Said on stderr when the plan is made: a --force dispatch moved to a worktree of its own. */
  readonly note?: string
}
