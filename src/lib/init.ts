import {existsSync, realpathSync} from 'node:fs'
import {mkdir, open, rm} from 'node:fs/promises'
import path from 'node:path'

import {homeDir, validateConfig, xdgDir} from './config/index.js'
import {probeBwrap, type BwrapProbe} from './sandbox/check.js'
import {FailureError, UsageError, errorMessage} from './errors.js'
import {gitQuery} from './git.js'
import {initForges, renderForges, type InitForges} from './init-forges.js'
import {originRepo} from './workspace.js'

/** What `dispatch init` wrote, also its JSON shape. */
export interface InitResult {
  file: string
  allowedOwners: string[]
  workspace: {root: string; layout: string}
  /** How the workspace root was chosen. */
  workspace_from: 'flag' | 'checkout' | 'default'
  /** Set with --github-url for a GitHub Enterprise host. */
  github?: {webUrl: string; apiUrl: string}
  /** Set with --forgejo-url. */
  forgejo?: {baseUrl: string; apiUrl: string}
}

export interface WorkspaceGuess {
  root: string
  layout: string
  from: 'checkout' | 'default'
}

/** Where `dispatch init` writes when no path is given: the XDG location the config search ends in. */
export function defaultInitPath(env: NodeJS.ProcessEnv): string {
  return path.join(xdgDir('config', env), 'dispatch', 'config.yaml')
}

/**
 * Guess workspace.root and layout from a checkout and its origin. Pure.
 * `~/src/acme/api` with origin acme/api gives root `~/src` and layout
 * `{owner}/{repo}`; `~/code/api` gives root `~/code` and layout `{repo}`.
 */
export function guessWorkspace(checkout: string | undefined, origin: string | undefined, home: string): WorkspaceGuess {
  const fallback: WorkspaceGuess = {root: path.join(home, 'src'), layout: '{owner}/{repo}', from: 'default'}
  const points = origin ? originRepo(origin) : undefined
  if (!checkout || !points) return fallback
  const repoDir = path.basename(checkout)
  const ownerDir = path.basename(path.dirname(checkout))
  if (repoDir.toLowerCase() !== points.repo.toLowerCase()) return fallback
  if (ownerDir.toLowerCase() === points.owner.toLowerCase()) return {root: path.dirname(path.dirname(checkout)), layout: '{owner}/{repo}', from: 'checkout'}
  return {root: path.dirname(checkout), layout: '{repo}', from: 'checkout'}
}

/** The checkout the caller stands in and its origin, when there is one; never fails. */
export async function currentCheckout(cwd: string): Promise<{dir?: string; origin?: string}> {
  const [top, origin] = await Promise.all([
    gitQuery(cwd, ['rev-parse', '--show-toplevel']).catch(() => undefined),
    gitQuery(cwd, ['remote', 'get-url', 'origin']).catch(() => undefined),
  ])
  return {dir: top ? realpathSync(top) : undefined, origin: origin || undefined}
}

/** Owners given as flags: repeatable and comma-separated, blanks dropped. Pure. */
export function splitOwners(values: readonly string[]): string[] {
  const out: string[] = []
  for (const v of values) for (const part of v.split(',')) if (part.trim() && !out.includes(part.trim())) out.push(part.trim())
  return out
}

/** Show a path with `~` for the home directory, as people write it in a config. Pure. */
export function tildePath(p: string, home: string): string {
  if (p === home) return '~'
  return p.startsWith(home + path.sep) ? '~/' + p.slice(home.length + 1) : p
}

/** The starter config: the keys a new user sets, each explained, the rest pointed at. Pure. */
function renderStarterConfig(owners: readonly string[], root: string, layout: string, example: string, forges: InitForges, sandbox: string): string {
  const list = owners.map((o) => JSON.stringify(o)).join(', ')
  return `# dispatch configuration, written by \`dispatch init\`.
# Every other key, with its default, is explained in ${example}
# Check it with: dispatch doctor

# The owners (users or orgs) dispatch may work for; nothing outside them is
# ever dispatched. Compared case-insensitively, as forges treat owners.
allowedOwners: [${list}]

# Where your checkouts live: owner/repo is looked for at root + layout.
workspace:
  root: ${JSON.stringify(root)}
  layout: ${JSON.stringify(layout)}

# Checkouts that live elsewhere win over the layout:
# repos:
#   my-org/api: ~/work/api

# What the prompt asks a worker to do when its work is green: pr | merge | none
landing: pr

${sandbox}

claude:
  # acceptEdits: file edits in the worktree are approved, and the tools in
  # claude.allowedTools (Bash among them) are pre-approved, so an unattended
  # worker never waits on a prompt. auto needs Claude's safety classifier,
  # which many accounts, API keys and providers lack: every tool call is then refused.
  permissionMode: acceptEdits
  # maxBudgetUsd: 5           # dollar cap per worker

${renderForges(forges)}`
}

/** The starter config's sandbox: on where bubblewrap works here, else said why not (no key: dispatches remind daily). Pure. */
export function sandboxBlock(probe: BwrapProbe): string {
  if (probe.ok) {
    return `# Workers run confined by bubblewrap (docs/sandbox.md): they see their worktree, not your home.
# Hosts beyond the model API and your forges are opened one by one:
sandbox:
  kind: bubblewrap
  # allowNetwork: [registry.npmjs.org]`
  }
  return `# The sandbox (docs/sandbox.md) is off: ${probe.problem}.
# ${probe.fix}
# Then: sandbox: {kind: bubblewrap}`
}

export interface InitInput {
  file: string
  owners: string[]
  workspaceRoot?: string
  layout?: string
  /** --forgejo-url / --github-url. */
  forgejoUrl?: string
  githubUrl?: string
  cwd: string
  env: NodeJS.ProcessEnv
  /** Where the installed `.dispatchrc.example` is, to name it in the file. */
  example: string
}

/**
 * Write a starter config. Refuses to overwrite anything; validates the result
 * with the same schema every command uses before a byte is written, so what
 * `init` writes always loads.
 */
export async function writeStarterConfig(input: InitInput): Promise<InitResult> {
  if (existsSync(input.file)) {
    throw new UsageError(`${input.file} already exists; dispatch init never overwrites a config.`, `Edit it, check it with: dispatch doctor, or move it away and run dispatch init again.`)
  }
  if (input.owners.length === 0) {
    throw new UsageError('dispatch init needs at least one owner that dispatch may work for.', 'Pass --owner my-org (repeatable, or comma-separated).')
  }
  const forges = initForges(input.owners, input)
  const home = homeDir(input.env)
  let guess: WorkspaceGuess
  if (input.workspaceRoot) guess = {root: path.resolve(input.cwd, input.workspaceRoot), layout: input.layout ?? '{owner}/{repo}', from: 'checkout'}
  else {
    const here = await currentCheckout(input.cwd)
    guess = guessWorkspace(here.dir, here.origin, home)
    if (input.layout) guess = {...guess, layout: input.layout}
  }
  const root = tildePath(guess.root, home)
  const text = renderStarterConfig(input.owners, root, guess.layout, input.example, forges, sandboxBlock(probeBwrap(input.env)))
  // Same schema as every command: an owner name or layout the loader would refuse is refused here, before writing.
  const {load} = await import('js-yaml')
  let config
  try {
    config = validateConfig(load(text), input.file, input.env)
  } catch (error) {
    const detail = errorMessage(error).replace(/^Config file .* is invalid: /, '')
    throw new UsageError(`dispatch init would write an invalid config: ${detail}`, 'Owners are names such as my-org or my-user; the layout must contain {repo}.')
  }
  await mkdir(path.dirname(input.file), {recursive: true, mode: 0o700})
  let handle
  try {
    handle = await open(input.file, 'wx', 0o600)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`${input.file} already exists; dispatch init never overwrites a config.`, 'Edit it, or move it away and run dispatch init again.')
    throw new FailureError(`Cannot create ${input.file}: ${errorMessage(error)}.`, 'Check the directory\'s permissions and free space, or pass --config <file> to write elsewhere.')
  }
  try {
    await handle.writeFile(text)
    await handle.close()
  } catch (error) {
    // A half-written config would fail every later command: leave none.
    await handle.close().catch(() => {})
    await rm(input.file, {force: true})
    throw new FailureError(`Cannot write ${input.file}: ${errorMessage(error)}.`, 'Free some space and run dispatch init again.')
  }
  return {
    file: input.file,
    allowedOwners: config.allowedOwners,
    workspace: {root: config.workspace.root, layout: config.workspace.layout},
    workspace_from: input.workspaceRoot ? 'flag' : guess.from,
    ...(forges.github ? {github: config.github} : {}),
    ...(config.forgejo ? {forgejo: {baseUrl: config.forgejo.baseUrl, apiUrl: config.forgejo.apiUrl}} : {}),
  }
}
