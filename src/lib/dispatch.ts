import {rmSync} from 'node:fs'
import {open} from 'node:fs/promises'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {RootIndex, repoRoots, resolveClaims, type ClaimTarget, type RepoRoot} from './claims.js'
import {type ClaudeOptions, claudeConfigFile, findClaudeBinary, headlessArgs, interactiveArgs, preTrust} from './claude.js'
import type {Config, PromptKind} from './config.js'
import {FailureError, PolicyError, errorMessage} from './errors.js'
import {resolveIssue, type Forges, type ResolvedIssue} from './forges/index.js'
import {gitQuery} from './git.js'
import {parseIssueRef, type IssueRef} from './issue-ref.js'
import {faultPoint} from './faults.js'
import type {StartGuard} from './interrupt.js'
import {withLock} from './lock.js'
import {logPath} from './naming.js'
import {notify} from './notify.js'
import {cascadeBudget, isOwnerAllowed, type DispatchMode} from './policy.js'
import {renderPrompt} from './prompt.js'
import {reap} from './reap.js'
import {Registry, SCHEMA_VERSION, findConflicts, recordRoots, type SidequestRecord} from './registry.js'
import {ensurePrivateDirs, ensureStateDir} from './state.js'
import {assertOriginOnForge, findCheckout, type Checkout} from './workspace.js'
import {decideWorktree, defaultBranch, ensureWorktree, fetchOrigin, planWorktree, readBranchFacts, type BranchFacts, type WorktreePlan} from './worktree.js'
import {launchWorker, type HealthVerdict} from './worker/spawn.js'
import type {RetryWarning} from './worker/stream.js'
import {launchSurface, type ConcreteSurface, type SurfaceResult} from './interactive/surfaces.js'
import {shellQuote as q} from './shell.js'

/** Everything a dispatching command needs from the outside world, wired in one place. */
export interface DispatchContext {
  config: Config
  env: NodeJS.ProcessEnv
  cwd: string
  forges: Forges
  warn: (message: string) => void
  now: () => Date
}

export type Posture = 'watch' | 'consult'

export interface DispatchOptions {
  mode: DispatchMode
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
}

/** What resolution and planning decided; printed by --dry-run. */
export interface DispatchPlan {
  mode: DispatchMode
  issue: ResolvedIssue
  checkout: Checkout
  worktree: WorktreePlan
  cwd: string
  branch: string
  /** `owner/repo` of the issue, which its claims belong to. */
  repo: string
  /** Relative to the repository root. */
  claims: string[]
  /** The repository's checkout and worktrees, as the claims were resolved against. */
  claimRoots: RepoRoot[]
  cascadeDepth: number
  claudeBin: string
  /** argv after the binary; never the prompt. */
  args: string[]
  /** What claude reads on stdin. */
  prompt: string
  promptKind: PromptKind
  parentSession: string | null
}

/** The shell command that runs this very dispatch, for cascade workers' prompts. */
export function dispatchCommand(): string {
  const here = fileURLToPath(import.meta.url)
  const root = path.resolve(path.dirname(here), '..', '..')
  return `${q(process.execPath)} ${q(path.join(root, 'bin', 'run.js'))}`
}

function promptKindFor(mode: DispatchMode, posture: Posture | undefined): PromptKind {
  if (mode === 'interactive') return posture === 'consult' ? 'interactive-consult' : 'interactive-watch'
  return mode
}

function claudeOptions(config: Config, opts: DispatchOptions): ClaudeOptions {
  const tools = opts.allowedTools
    ? opts.allowedTools
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean)
    : config.claude.allowedTools
  return {
    permissionMode: opts.permissionMode ?? config.claude.permissionMode,
    allowedTools: tools,
    model: opts.model ?? config.claude.model,
    maxBudgetUsd: opts.maxBudgetUsd ?? config.claude.maxBudgetUsd,
    extraArgs: [...config.claude.extraArgs, ...opts.extraArgs],
  }
}

/**
 * Resolve and check everything that needs no writes: cascade budget, issue,
 * claude binary, checkout, claims, worktree plan, prompt and argv. Used as is
 * by --dry-run, and as the first half of a real dispatch.
 */
export async function planDispatch(ctx: DispatchContext, opts: DispatchOptions): Promise<DispatchPlan> {
  // The budget needs no network: a headless worker's attempt to dispatch is refused before any request.
  const cascadeDepth = cascadeBudget(opts.mode, opts.depth, ctx.env.DISPATCH_CASCADE_DEPTH)
  const early = readCheckoutEarly(ctx, opts)
  const issue = await resolveIssue(opts.ref, ctx.config, ctx.forges, ctx.warn)
  if (issue.movedFrom) ctx.warn(`warning: ${issue.movedFrom} now lives at ${issue.ref}; using ${issue.ref}`)

  let claudeBin: string
  try {
    claudeBin = findClaudeBinary(opts.claudeBin ?? ctx.config.claude.bin, ctx.env, ctx.cwd)
  } catch (error) {
    if (!opts.dryRun) throw error
    ctx.warn(`warning: ${errorMessage(error)}`)
    claudeBin = opts.claudeBin ?? ctx.config.claude.bin
  }

  // What was read early counts only when it was read for this very repository and issue.
  const same = early && early.owner === issue.owner && early.repo === issue.repo && early.number === issue.number
  const checkout = (same && (await early.checkout)) || (await findCheckout(ctx.config, issue.owner, issue.repo, issue.webBase))
  assertOriginOnForge(checkout, issue, {github: ctx.config.github.webUrl, forgejo: ctx.config.forgejo?.baseUrl})
  let worktree: WorktreePlan
  if (opts.worktree) {
    const req = {checkout: checkout.dir, worktreeRoot: ctx.config.worktreeRoot, owner: issue.owner, repo: issue.repo, number: issue.number, title: issue.title}
    const facts = same ? await early.facts : undefined
    // One worker per worktree: only --force gets past an active worker, and then into a worktree of its own.
    const active = opts.force ? await new Registry({stateDir: ctx.config.stateDir, warn: ctx.warn}).active().catch((): SidequestRecord[] => []) : []
    const busy = active.map((r) => r.cwd)
    worktree = facts ? decideWorktree(req, facts, busy) : await planWorktree(req, busy)
    if (worktree.slot > 1) ctx.warn(slotNote(issue.ref, worktree, active))
  } else {
    const branch = (await gitQuery(checkout.dir, ['symbolic-ref', '--quiet', '--short', 'HEAD']).catch(() => '')) || 'HEAD'
    const def = await defaultBranch(checkout.dir).catch(() => ({name: branch, startPoint: branch}))
    worktree = {path: checkout.dir, branch, defaultBranch: def.name, startPoint: def.startPoint, action: 'in-place', slot: 1}
  }
  const repo = `${issue.owner}/${issue.repo}`
  const claimRoots = opts.claims.length > 0 ? await repoRoots(checkout.dir, repo, worktree.path) : []
  const claims = claimRoots.length > 0 ? resolveClaims(opts.claims, {cwd: ctx.cwd, repo, roots: claimRoots}) : []
  const promptKind = promptKindFor(opts.mode, opts.posture)
  const prompt = await renderPrompt(
    {
      kind: promptKind,
      issue,
      cwd: worktree.path,
      branch: worktree.branch,
      defaultBranch: worktree.defaultBranch,
      landing: ctx.config.landing,
      depth: cascadeDepth,
      dispatchCommand: dispatchCommand(),
      forgejoTokenEnv: ctx.config.forgejo?.tokenEnv,
    },
    ctx.config,
  )
  const co = claudeOptions(ctx.config, opts)
  const args = opts.mode === 'interactive' ? interactiveArgs(co) : headlessArgs(co)
  return {
    mode: opts.mode,
    issue,
    checkout,
    worktree,
    cwd: worktree.path,
    branch: worktree.branch,
    repo,
    claims,
    claimRoots,
    cascadeDepth,
    claudeBin,
    args,
    prompt,
    promptKind,
    parentSession: ctx.env.CLAUDE_CODE_SESSION_ID || null,
  }
}

interface EarlyReads {
  owner: string
  repo: string
  number: number
  /** undefined when the read failed: planDispatch then asks again and reports the error properly. */
  checkout: Promise<Checkout | undefined>
  facts: Promise<BranchFacts | undefined>
}

/**
 * Start the local git reads for the repository as typed while the forge
 * answers: the forge side (loading Octokit, the request) takes a few hundred
 * milliseconds, the git side about a hundred, and neither needs the other.
 * Read-only, and only for an owner the allow-list admits; the results are
 * used only when the forge names the same repository and issue, and only
 * after every forge-side check passed.
 */
function readCheckoutEarly(ctx: DispatchContext, opts: DispatchOptions): EarlyReads | undefined {
  let ref: IssueRef
  try {
    ref = parseIssueRef(opts.ref, {githubWebUrl: ctx.config.github.webUrl, forgejoBaseUrl: ctx.config.forgejo?.baseUrl})
  } catch {
    return undefined
  }
  if (!isOwnerAllowed(ref.owner, ctx.config.allowedOwners, ref.forge)) return undefined
  const checkout = findCheckout(ctx.config, ref.owner, ref.repo, ctx.config.github.webUrl).catch(() => undefined)
  const facts = opts.worktree
    ? checkout.then((c) => (c ? readBranchFacts(c.dir, ref.number) : undefined)).catch(() => undefined)
    : Promise.resolve(undefined)
  return {owner: ref.owner, repo: ref.repo, number: ref.number, checkout, facts}
}

/** The stderr line for a --force dispatch that gets a worktree of its own. */
export function slotNote(ref: string, worktree: WorktreePlan, active: readonly SidequestRecord[]): string {
  const holders = active.filter((r) => r.ref.toLowerCase() === ref.toLowerCase()).map((r) => `pid ${r.pid} in ${r.cwd}`)
  return `note: ${ref} already has an active worker (${holders.join(', ') || 'its worktree is busy'}); --force starts this one in its own worktree ${worktree.path} on ${worktree.branch}`
}

/**
 * The policy checks against active workers (SPEC §7). Claims compare within
 * their repository; `roots` place old absolute claims. Pure over the given records.
 */
export function checkAgainstActive(active: readonly SidequestRecord[], ref: string, claims: readonly ClaimTarget[], maxActive: number, force: boolean, roots: RootIndex = recordRoots(active)): void {
  if (!force) {
    const dup = active.find((r) => r.ref.toLowerCase() === ref.toLowerCase())
    if (dup) {
      throw new PolicyError(
        `${ref} already has an active worker (pid ${dup.pid}, ${dup.mode}, started ${dup.started_at}).`,
        `Follow it with: dispatch status ${ref}. Use --force to start another anyway.`,
      )
    }
    for (const claim of claims) {
      const hits = findConflicts(active, claim, roots)
      if (hits.length > 0) {
        const h = hits[0]
        throw new PolicyError(
          `Claim ${claim.rel ?? claim.abs}${claim.repo ? ` in ${claim.repo}` : ''} overlaps ${h.claim} (${h.reason}), claimed by pid ${h.pid} working on ${h.ref}.`,
          'Wait for that worker, narrow --claims, or use --force.',
        )
      }
    }
  }
  if (active.length >= maxActive) {
    throw new PolicyError(`${active.length} workers are active; maxActive is ${maxActive}.`, 'Wait for one to finish (dispatch sidequests list), or raise maxActive in the config.')
  }
}

/** Variables a running Claude session sets for its child processes (seen in Claude Code 2.1). */
export const CLAUDE_SESSION_ENV = [
  'CLAUDECODE',
  'CLAUDE_CODE_SESSION_ID',
  'CLAUDE_CODE_ENTRYPOINT',
  'CLAUDE_CODE_CHILD_SESSION',
  'CLAUDE_CODE_CHILD_NOTES_DIR',
  'CLAUDE_CODE_MESSAGING_SOCKET',
  'CLAUDE_CODE_MESSAGING_TOKEN',
  'CLAUDE_CODE_SESSION_ATTENDED',
  'CLAUDE_CODE_EXECPATH',
  'CLAUDE_PID',
  'AI_AGENT',
]

/** The environment a worker runs with. */
export function workerEnv(ctx: DispatchContext, plan: DispatchPlan): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...ctx.env}
  // Claude sets these for the commands it runs; a worker must start a session of its own
  // and must not talk to its parent's messaging socket.
  for (const name of CLAUDE_SESSION_ENV) delete env[name]
  if (ctx.config.landing === 'none') {
    // Nothing to push: the worker gets no forge credentials.
    for (const name of ['GH_TOKEN', 'GITHUB_TOKEN', ctx.config.forgejo?.tokenEnv ?? 'FORGEJO_TOKEN']) delete env[name]
  }
  if (plan.mode === 'interactive') delete env.DISPATCH_CASCADE_DEPTH
  else env.DISPATCH_CASCADE_DEPTH = String(plan.cascadeDepth)
  // Sub-dispatches from a cascade worker use the same configuration.
  env.DISPATCH_CONFIG = ctx.config.file
  return env
}

export function baseRecord(ctx: DispatchContext, plan: DispatchPlan, log: string | null): Omit<SidequestRecord, 'pid' | 'pid_start_time'> {
  return {
    schema_version: SCHEMA_VERSION,
    mode: plan.mode,
    ref: plan.issue.ref,
    forge: plan.issue.forge,
    url: plan.issue.url,
    title: plan.issue.title,
    started_at: ctx.now().toISOString(),
    parent_session: plan.parentSession,
    paths_claimed: plan.claims,
    repo: plan.repo,
    cwd: plan.cwd,
    branch: plan.branch,
    log_path: log,
    cascade_depth: plan.cascadeDepth,
    claude_session_id: null,
    checkout: plan.checkout.dir,
    ...(plan.issue.forgeFallback ? {forge_fallback: true} : {}),
  }
}

/**
 * The part of a real dispatch that must not race other dispatches: checks
 * against active workers, worktree, trust. Runs under the registry lock; the
 * caller starts the worker (and writes its record) inside the same lock.
 */
export async function prepareWorkspace<T>(ctx: DispatchContext, plan: DispatchPlan, force: boolean, start: (plan: DispatchPlan) => Promise<T>): Promise<T> {
  const {stateDir} = ctx.config
  await ensureStateDir(stateDir)
  // Network and sweeping happen before the lock, so concurrent dispatches only queue for the short part.
  const fresh = plan.worktree.action === 'create' || plan.worktree.action === 'checkout'
  await Promise.all([quietReap(ctx, plan), fresh ? fetchOrigin(plan.checkout.dir) : undefined])
  const registry = new Registry({stateDir, warn: ctx.warn})
  const lapse = () => ctx.warn('warning: this machine is so busy that dispatch could not keep its registry lock fresh; another dispatch may have checked for duplicates at the same moment (dispatch sidequests list shows every worker)')
  return withLock(path.join(stateDir, 'locks', 'dispatch'), async () => {
    const active = await registry.active()
    const main = plan.claimRoots[0]?.dir ?? plan.checkout.dir
    const claims = plan.claims.map((rel) => ({repo: plan.repo, rel, abs: path.join(main, rel)}))
    const roots = recordRoots(active)
    for (const root of plan.claimRoots) roots.add(root)
    checkAgainstActive(active, plan.issue.ref, claims, ctx.config.maxActive, force, roots)
    if (plan.worktree.action !== 'in-place') {
      const planned = plan.worktree
      plan.worktree = await ensureWorktree({
        checkout: plan.checkout.dir,
        worktreeRoot: ctx.config.worktreeRoot,
        owner: plan.issue.owner,
        repo: plan.issue.repo,
        number: plan.issue.number,
        title: plan.issue.title,
      }, {fetch: false, busy: active.map((r) => r.cwd)})
      // The prompt names the branch: a worker that started meanwhile and moved this one to another slot means planning again.
      if (plan.worktree.path !== planned.path || plan.worktree.branch !== planned.branch) {
        throw new FailureError(`Another worker started on ${plan.issue.ref} while this dispatch was being prepared (${plan.worktree.path} is now the free worktree, not ${planned.path}).`, 'Run the same dispatch again.')
      }
    }
    await faultPoint('after-worktree', stateDir)
    const trust = await preTrust(claudeConfigFile(ctx.env), plan.cwd)
    if (trust === 'corrupt' || trust === 'unexpected') {
      ctx.warn(`warning: ${claudeConfigFile(ctx.env)} is ${trust === 'corrupt' ? 'not valid JSON' : 'not in the shape dispatch expects (projects is not an object)'}; left it alone, so Claude may ask to trust ${plan.cwd}`)
    }
    return start(plan)
  }, {onLapse: lapse})
}

/**
 * Best-effort, quiet: remove this repository's worktrees that hold no work before adding one,
 * by the same rule as `dispatch reap` (fetching too: a stale remote branch must not vouch for
 * commits). Never fails a dispatch.
 */
async function quietReap(ctx: DispatchContext, plan: DispatchPlan): Promise<void> {
  await reap({worktreeRoot: ctx.config.worktreeRoot, stateDir: ctx.config.stateDir, dryRun: false, only: {owner: plan.issue.owner, repo: plan.issue.repo}, fetch: true}).catch(() => [])
}

export interface HeadlessResult {
  record: SidequestRecord
  health: HealthVerdict
  warnings: RetryWarning[]
}

/** Create the log file exclusively, 0600; a clash (same second) gets a suffix. */
async function createLog(stateDir: string, plan: DispatchPlan, started: Date, guard?: StartGuard): Promise<string> {
  const base = logPath(stateDir, plan.issue.owner, plan.issue.repo, plan.issue.number, started)
  await ensurePrivateDirs(stateDir, path.relative(stateDir, path.dirname(base)))
  for (let i = 0; i < 100; i++) {
    const file = i === 0 ? base : base.replace(/\.log$/, `-${i}.log`)
    try {
      const handle = await open(file, 'wx', 0o600)
      // An interrupted dispatch leaves no log of a worker that never ran.
      guard?.undo(() => rmSync(file, {force: true}))
      await handle.close()
      return file
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new FailureError(`Cannot create the log ${file}: ${errorMessage(error)}.`, 'Check free space and permissions of the state directory.')
      }
    }
  }
  throw new FailureError(`Too many logs for ${plan.issue.ref} in one second.`, 'Try again.')
}

/** `dispatch headless` / `dispatch cascade`: everything up to a healthy, detached worker. */
export async function runHeadless(ctx: DispatchContext, plan: DispatchPlan, force: boolean, guard?: StartGuard): Promise<HeadlessResult> {
  const launched = await prepareWorkspace(ctx, plan, force, async (p) => {
    const started = ctx.now()
    const log = await createLog(ctx.config.stateDir, p, started, guard)
    return launchWorker({
      claudeBin: p.claudeBin,
      args: p.args,
      prompt: p.prompt,
      cwd: p.cwd,
      env: workerEnv(ctx, p),
      logPath: log,
      stateDir: ctx.config.stateDir,
      record: baseRecord(ctx, p, log),
      notify: ctx.config.notify,
    }, guard)
  })
  await faultPoint('after-record', ctx.config.stateDir)
  const result = await launched.waitHealthy(ctx.config.healthWindowMs)
  const r = result.record
  await notify(ctx.config.notify, {event: 'dispatched', mode: r.mode, ref: r.ref, title: r.title, url: r.url, cwd: r.cwd, pid: r.pid}, ctx.env, ctx.warn)
  return result
}

export interface InteractiveResult {
  record?: SidequestRecord
  surface: SurfaceResult
}

/**
 * `dispatch interactive`: the same checks, worktree and trust as headless, then a
 * live session on a surface (SPEC §6). Holds the registry lock until the
 * session's record exists, so duplicate and claim checks stay honest.
 */
export async function runInteractive(ctx: DispatchContext, plan: DispatchPlan, force: boolean, surface: ConcreteSurface): Promise<InteractiveResult> {
  const env = workerEnv(ctx, plan)
  const spec = {claudeBin: plan.claudeBin, args: plan.args, prompt: plan.prompt, cwd: plan.cwd, env, stateDir: ctx.config.stateDir, record: baseRecord(ctx, plan, null)}
  if (surface === 'foreground') {
    // The lock can't be held for the whole session; the record is written as soon as claude has a pid.
    await prepareWorkspace(ctx, plan, force, async () => undefined)
    spec.record.started_at = ctx.now().toISOString()
    const result = await launchSurface({surface, spec, env: ctx.env, startTimeoutMs: 0, commandTemplate: ctx.config.interactive.command, secretNames: [ctx.config.forgejo?.tokenEnv ?? 'FORGEJO_TOKEN']})
    const record = result.pid ? await new Registry({stateDir: ctx.config.stateDir}).get(result.pid) : undefined
    return {record, surface: result}
  }
  const result = await prepareWorkspace(ctx, plan, force, async (p) => {
    spec.cwd = p.cwd
    spec.record = {...baseRecord(ctx, p, null)}
    // tmux starts the session at once; another terminal may take its time, so wait less and say so.
    return launchSurface({surface, spec, env: ctx.env, startTimeoutMs: surface === 'tmux' ? 10_000 : 3000, commandTemplate: ctx.config.interactive.command, secretNames: [ctx.config.forgejo?.tokenEnv ?? 'FORGEJO_TOKEN']})
  })
  const record = result.pid ? await new Registry({stateDir: ctx.config.stateDir}).get(result.pid) : undefined
  if (record) await notify(ctx.config.notify, {event: 'dispatched', mode: 'interactive', ref: record.ref, title: record.title, url: record.url, cwd: record.cwd, pid: record.pid}, ctx.env, ctx.warn)
  return {record, surface: result}
}
