import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {repoRoots} from '../claims/index.js'
import {findClaudeBinary} from '../claude.js'
import type {DispatchContext} from '../context.js'
import {errorMessage} from '../errors.js'
import {resolveIssue, type ResolvedIssue} from '../forges/index.js'
import {gitQuery} from '../git.js'
import {parseIssueRef, type IssueRef, type RefHosts} from '../issue-ref.js'
import {expandBareRef} from '../local-ref.js'
import {cascadeBudget, isOwnerAllowed} from '../policy.js'
import type {Progress} from '../progress.js'
import {loadTemplate} from '../prompt/index.js'
import type {SidequestRecord} from '../registry/index.js'
import {shellQuote as q} from '../shell.js'
import {assertOriginOnForge, findCheckout, type Checkout} from '../workspace.js'
import {defaultBranch, readBranchFacts, type BranchFacts} from '../worktree/index.js'
import {promptKindFor} from './plan.js'
import type {DispatchOptions, LocalFacts, RemoteFacts} from './types.js'

/** The shell command that runs this very dispatch, for cascade workers' prompts. */
export function dispatchCommand(): string {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
  return `${q(process.execPath)} ${q(path.join(root, 'bin', 'run.js'))}`
}

/** Local reads started while the forge answers, for the repository as typed. */
interface EarlyReads {
  owner: string
  repo: string
  number: number
  /** undefined when the read failed: gather then asks again and reports the error properly. */
  checkout: Promise<Checkout | undefined>
  branches: Promise<BranchFacts | undefined>
}

/**
 * Every read a dispatch needs before anything is locked: the forge (the
 * issue), the claude binary, the checkout, the prompt template, and the
 * repository's branches and worktrees. The git side runs while the forge
 * answers (the forge takes a few hundred milliseconds, git about a hundred,
 * and neither needs the other). Refuses an exhausted cascade budget before
 * any request.
 */
export async function gather(ctx: DispatchContext, opts: DispatchOptions, progress: Progress): Promise<{remote: RemoteFacts; local: LocalFacts}> {
  const inheritedDepth = ctx.env.DISPATCH_CASCADE_DEPTH
  cascadeBudget(opts.mode, opts.depth, inheritedDepth)
  const hosts = {githubWebUrl: ctx.config.github.webUrl, forgejoBaseUrl: ctx.config.forgejo?.baseUrl}
  // `12` or `#12` inside a checkout: that repository's issue, as gh takes it.
  const input = (await expandBareRef(opts.ref, ctx.cwd, hosts)).trim()
  const ref = parseRef(input, hosts)
  const early = ref && readEarly(ctx, opts, ref)
  const template = loadTemplate(promptKindFor(opts.mode, opts.posture), ctx.config)
  template.catch(() => {})
  progress.start(`Reading ${input} from the forge`)
  let issue: ResolvedIssue
  try {
    // An unparsable ref is left to resolveIssue, which says what is wrong with it.
    issue = await (ref ? resolveIssue(input, ctx.config, ctx.forges, ctx.warn, ref) : resolveIssue(input, ctx.config, ctx.forges, ctx.warn))
  } finally {
    progress.stop()
  }
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
  const remote: RemoteFacts = {
    config: ctx.config,
    inheritedDepth,
    parentSession: ctx.env.CLAUDE_CODE_SESSION_ID || null,
    cwd: ctx.cwd,
    issue,
    checkout,
    claudeBin,
    template: await template,
    dispatchCommand: dispatchCommand(),
  }
  const branches = same ? await early.branches : undefined
  // A dry run reads active workers only when --force may meet one; a real dispatch reads them under the lock.
  const active = opts.force ? await ctx.registry().active().catch((): SidequestRecord[] => []) : []
  return {remote, local: await gatherLocal(remote, opts, active, branches)}
}

/**
 * The repository's side: branches and worktrees (or the checkout's own
 * branch with --no-worktree) and, for --claims, its roots. Run again under
 * the lock, after the quiet reap, so the plan that runs sees what is there.
 */
export async function gatherLocal(remote: RemoteFacts, opts: DispatchOptions, active: SidequestRecord[], known?: BranchFacts): Promise<LocalFacts> {
  const dir = remote.checkout.dir
  const repo = `${remote.issue.owner}/${remote.issue.repo}`
  const roots = opts.claims.length > 0 ? repoRoots(dir, repo) : Promise.resolve([])
  if (opts.worktree) {
    const branches = known ?? (await readBranchFacts(dir, remote.issue.number))
    return {branches, roots: await roots, active}
  }
  const branch = (await gitQuery(dir, ['symbolic-ref', '--quiet', '--short', 'HEAD']).catch(() => '')) || 'HEAD'
  const def = await defaultBranch(dir).catch(() => ({name: branch, startPoint: branch}))
  return {inPlace: {branch, defaultBranch: def.name, startPoint: def.startPoint}, roots: await roots, active}
}

/**
 * Start the local git reads for the repository as typed. Read-only, and only
 * for an owner the allow-list admits; used only when the forge names the same
 * repository and issue, and only after every forge-side check passed.
 */
function parseRef(input: string, hosts: RefHosts): IssueRef | undefined {
  try {
    return parseIssueRef(input, hosts)
  } catch {
    return undefined
  }
}

function readEarly(ctx: DispatchContext, opts: DispatchOptions, ref: IssueRef): EarlyReads | undefined {
  if (!isOwnerAllowed(ref.owner, ctx.config.allowedOwners, ref.forge)) return undefined
  const checkout = findCheckout(ctx.config, ref.owner, ref.repo, ctx.config.github.webUrl).catch(() => undefined)
  const number = ref.number
  const branches = opts.worktree ? checkout.then((c) => (c ? readBranchFacts(c.dir, number) : undefined)).catch(() => undefined) : Promise.resolve(undefined)
  return {owner: ref.owner, repo: ref.repo, number, checkout, branches}
}
