import {existsSync} from 'node:fs'
import path from 'node:path'

import {INCLUDE_FILE} from '../bootstrap/include.js'
import {bootstrapSteps, setupCommandFor} from '../bootstrap/setup.js'
import {slotFor} from '../bootstrap/slots.js'
import {canonicalDir, resolveClaims, type RepoRoot} from '../claims/index.js'
import {type ClaudeOptions, headlessArgs, interactiveArgs} from '../claude.js'
import {resumeHeadlessArgs} from '../claude-args.js'
import {sandboxFor, type Config, type PromptKind} from '../config/index.js'
import {cascadeBudget} from '../policy.js'
import {renderTemplate} from '../prompt/index.js'
import type {Mode, SidequestRecord} from '../registry/index.js'
import {decideWorktree, type WorktreePlan} from '../worktree/index.js'
import type {DispatchOptions, DispatchPlan, LocalFacts, Posture, RemoteFacts} from './types.js'

export function promptKindFor(mode: Mode, posture: Posture | undefined): PromptKind {
  if (mode === 'interactive') return posture === 'consult' ? 'interactive-consult' : 'interactive-watch'
  return mode
}

/** Flags over config. Pure. */
export function claudeOptions(config: Config, opts: DispatchOptions): ClaudeOptions {
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

/** The stderr line for a --force dispatch that gets a worktree of its own. */
function slotNote(ref: string, worktree: WorktreePlan, active: readonly SidequestRecord[]): string {
  const holders = active.filter((r) => r.ref.toLowerCase() === ref.toLowerCase()).map((r) => `pid ${r.pid} in ${r.cwd}`)
  return `note: ${ref} already has an active worker (${holders.join(', ') || 'its worktree is busy'}); --force starts this one in its own worktree ${worktree.path} on ${worktree.branch}`
}

function decideWorkspace(remote: RemoteFacts, local: LocalFacts): WorktreePlan {
  const {issue, checkout, config} = remote
  if (local.branches) {
    const req = {checkout: checkout.dir, worktreeRoot: config.worktreeRoot, owner: issue.owner, repo: issue.repo, number: issue.number, title: issue.title}
    // One worker per worktree: an active worker's worktree is busy, so --force gets a slot of its own.
    return decideWorktree(req, local.branches, local.active.map((r) => r.cwd))
  }
  const here = local.inPlace ?? {branch: 'HEAD', defaultBranch: 'HEAD', startPoint: 'HEAD'}
  return {path: checkout.dir, branch: here.branch, defaultBranch: here.defaultBranch, startPoint: here.startPoint, action: 'in-place', slot: 1}
}

/**
 * Decide the whole dispatch from the facts: worktree, claims, cascade budget,
 * prompt and argv. Every field follows from one worktree decision, so a plan
 * made again from fresher facts is a new plan, never a patched one. Pure but
 * for path checks (does a worktree directory exist, where does a symlink point).
 */
export function planDispatch(remote: RemoteFacts, local: LocalFacts, opts: DispatchOptions): DispatchPlan {
  const {config, issue, checkout} = remote
  const cascadeDepth = cascadeBudget(opts.mode, opts.depth, remote.inheritedDepth)
  const worktree = decideWorkspace(remote, local)
  const repo = `${issue.owner}/${issue.repo}`
  let claimRoots: RepoRoot[] = []
  let claims: string[] = []
  if (opts.claims.length > 0 && local.roots.length > 0) {
    const planned = canonicalDir(worktree.path)
    claimRoots = local.roots.some((r) => r.dir === planned) ? local.roots : [...local.roots, {dir: planned, repo}]
    claims = resolveClaims(opts.claims, {cwd: remote.cwd, repo, roots: claimRoots})
  }
  const promptKind = promptKindFor(opts.mode, opts.posture)
  const slot = slotFor(local.active, repo, config.worktree)
  // A dispatch killed during its bootstrap left this worktree half made: reusing it means making it again.
  const redoBootstrap = worktree.action === 'reuse' && (local.unfinishedBootstrap ?? []).includes(worktree.path)
  const prompt = renderTemplate(remote.template, {
    kind: promptKind,
    issue,
    cwd: worktree.path,
    branch: worktree.branch,
    defaultBranch: worktree.defaultBranch,
    landing: config.landing,
    depth: cascadeDepth,
    dispatchCommand: remote.dispatchCommand,
    forgejoTokenEnv: config.forgejo?.tokenEnv,
    slot,
  })
  const co = claudeOptions(config, opts)
  // A run that resumes a session: `--resume <id>` and a short prompt of what happened; the session holds the rest.
  const resume = opts.mode !== 'interactive' && opts.continuation?.sessionId ? opts.continuation : undefined
  return {
    mode: opts.mode,
    // Interactive sessions run in a terminal here, whatever runner the config names.
    runner: opts.mode === 'interactive' ? 'local' : (opts.runner ?? config.runner.kind),
    waitStart: Boolean(opts.waitStart),
    issue,
    checkout,
    worktree,
    cwd: worktree.path,
    branch: worktree.branch,
    repo,
    claims,
    claimRoots,
    cascadeDepth,
    claudeBin: remote.claudeBin,
    args: opts.mode === 'interactive' ? interactiveArgs(co) : resume ? resumeHeadlessArgs(resume.sessionId!, co) : headlessArgs(co),
    prompt: resume ? resume.prompt : prompt,
    promptKind,
    parentSession: remote.parentSession,
    bootstrap: bootstrapSteps(redoBootstrap ? 'create' : worktree.action, opts.setup, setupCommandFor(config, repo), existsSync(path.join(checkout.dir, INCLUDE_FILE))),
    slot,
    sandbox: sandboxFor(config, repo, opts.sandbox),
    ...(opts.continuation ? {continuation: opts.continuation} : {}),
    ...(opts.watched ? {watched: true} : {}),
    ...(worktree.slot > 1 ? {note: slotNote(issue.ref, worktree, local.active)} : {}),
  }
}
