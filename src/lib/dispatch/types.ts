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
  continuation?: {sessionId: string | null; prompt: string; attempt: number; round: number; continues: string | null; reason: 'retry' | 'nudge' | 'checks' | 'review' | null; trackerCommentId?: number | null}
  watched?: boolean
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
  /** Said on stderr when the plan is made: a --force dispatch moved to a worktree of its own. */
  readonly note?: string
}
