/**
 * The sandbox on the dispatch side (issue #20): refuse to start when the
 * chosen sandbox cannot work, remind about an unsandboxed default, and make
 * the part of the worker's spec the runner needs to confine it.
 */
import path from 'node:path'

import {sandboxFor, xdgDir, type Config, type SandboxKind} from '../config/index.js'
import type {DispatchContext} from '../context.js'
import type {DispatchPlan} from '../dispatch/types.js'
import {gitQuery} from '../git.js'
import {remindOnce} from '../once.js'
import {recordRepo, type SidequestRecord} from '../registry/index.js'
import {checkoutPath} from '../workspace.js'
import {requireBwrap} from './check.js'
import {gitSettingsEnv, sandboxEnv} from './env.js'
import {sandboxLayout, type SandboxSpec} from './layout.js'
import {allowListFor} from './allow.js'

export type {SandboxSpec} from './layout.js'

/** Said once a day when no config chose a sandbox; in `warnings` of --json. */
export interface SandboxWarning {
  type: 'unsandboxed'
  message: string
}

export const UNSANDBOXED_MESSAGE =
  'workers run unsandboxed: the config has no sandbox key, so they can read your home directory and other checkouts. Turn the sandbox on with sandbox: {kind: bubblewrap} (dispatch init writes it where it works; see docs/sandbox.md), or write sandbox: {kind: none} to choose this on purpose (this reminder shows once a day)'

/**
 * Before anything is created: a sandbox that cannot start fails the dispatch
 * (FailureError, with the fix); nobody having chosen one earns the daily
 * reminder, returned for the command's warnings.
 */
export function sandboxPreflight(ctx: Pick<DispatchContext, 'env' | 'now'>, plan: Pick<DispatchPlan, 'sandbox'>): SandboxWarning[] {
  if (plan.sandbox.kind === 'bubblewrap') requireBwrap(ctx.env)
  if (plan.sandbox.source !== 'default') return []
  const said: SandboxWarning[] = []
  remindOnce(path.join(xdgDir('cache', ctx.env), 'dispatch', 'reminders'), 'unsandboxed', UNSANDBOXED_MESSAGE, (message) => said.push({type: 'unsandboxed', message}), ctx.now())
  return said
}

/** The forge token a worker pushes with, by the issue's forge; none with landing: none. */
function forgeToken(config: Pick<Config, 'landing' | 'forgejo'>, forge: string, env: NodeJS.ProcessEnv): string | undefined {
  if (config.landing === 'none') return undefined
  const names = forge === 'forgejo' ? [config.forgejo?.tokenEnv ?? 'FORGEJO_TOKEN'] : ['GH_TOKEN', 'GITHUB_TOKEN']
  return names.find((n) => env[n])
}

async function gitIdentity(checkout: string): Promise<{name?: string; email?: string}> {
  const out = await gitQuery(checkout, ['config', '--get-regexp', '^user\\.(name|email)$']).catch(() => '')
  const found: {name?: string; email?: string} = {}
  for (const line of out.split('\n')) {
    const [key, ...rest] = line.split(' ')
    if (key === 'user.name') found.name = rest.join(' ')
    if (key === 'user.email') found.email = rest.join(' ')
  }
  return found
}

/** What the sandbox of one worker depends on: a dispatch plan, or a stopped worker's record for attach. */
export interface SandboxTarget {
  mode: DispatchPlan['mode']
  sandbox: DispatchPlan['sandbox']
  cwd: string
  checkout: {dir: string}
  claudeBin: string
  issue: {forge: string}
  cascadeDepth: number
}

/**
 * The worker's environment and sandbox for a plan: unchanged env and no
 * sandbox for kind none; else the env without secrets the worker does not
 * need, plus git's identity and credential helper, and the SandboxSpec.
 */
export async function workerSandbox(ctx: Pick<DispatchContext, 'config' | 'env'>, plan: SandboxTarget, env: NodeJS.ProcessEnv): Promise<{env: NodeJS.ProcessEnv; sandbox?: SandboxSpec}> {
  if (plan.sandbox.kind !== 'bubblewrap') return {env}
  const {config} = ctx
  const token = forgeToken(config, plan.issue.forge, env)
  const identity = await gitIdentity(plan.checkout.dir)
  // TMPDIR: the sandbox's /tmp is private and writable; a TMPDIR elsewhere is hidden or read-only there.
  const confined = {...sandboxEnv(env, token ? [token] : []), ...gitSettingsEnv(env, identity, token), TMPDIR: '/tmp'}
  const sandbox: SandboxSpec = {
    kind: 'bubblewrap',
    bwrap: requireBwrap(ctx.env),
    layout: sandboxLayout({config, env: ctx.env, choice: plan.sandbox, claudeBin: plan.claudeBin, cwd: plan.cwd, checkout: plan.checkout.dir}),
    // The repository's allowNetwork beside the top-level one (the choice holds both).
    allow: allowListFor({...config, sandbox: {allowNetwork: plan.sandbox.allowNetwork}}, ctx.env),
    servicesRoot: path.join(config.stateDir, 'sandbox'),
    ...(plan.mode === 'cascade' ? {relay: {cascadeDepth: plan.cascadeDepth, configPath: config.file}} : {}),
  }
  return {env: confined, sandbox}
}

/**
 * `dispatch attach`: the resumed session is confined as its worker was
 * configured (--sandbox / --no-sandbox over the config's choice for the
 * record's repository). Fails with the fix when bwrap cannot run.
 */
export async function attachSandbox(ctx: Pick<DispatchContext, 'config' | 'env'>, record: SidequestRecord, claudeBin: string, flag?: SandboxKind): Promise<{env: NodeJS.ProcessEnv; sandbox?: SandboxSpec}> {
  const repo = recordRepo(record)
  const choice = sandboxFor(ctx.config, repo, flag)
  if (choice.kind === 'bubblewrap') requireBwrap(ctx.env)
  const [owner, name] = repo.split('/')
  const target: SandboxTarget = {mode: 'interactive', sandbox: choice, cwd: record.cwd, checkout: {dir: checkoutPath(ctx.config, owner, name).dir}, claudeBin, issue: {forge: record.forge ?? 'github'}, cascadeDepth: 0}
  return workerSandbox(ctx, target, ctx.env)
}
