/**
 * The set-up every command test repeats, once: a hermetic sandbox, the strict
 * fake forge, a config pointing at both, and an afterEach that leaves nothing
 * running and fails the test on a forge request nobody scripted.
 *
 *   const t = useForgeSandbox({hold: true})
 *   let forge: FakeForge, sb: Sandbox, env: NodeJS.ProcessEnv
 *   beforeEach(() => {
 *     ;({forge, sb, env} = t)
 *     makeRepo(sb, 'acme', 'api')
 *     forge.addIssue({owner: 'acme', repo: 'api', number: 12})
 *   })
 *
 * The hooks are registered in the describe block that calls it, so they run
 * before (beforeEach) and after (afterEach) the file's own hooks there.
 */
import {expect} from 'chai'
import {existsSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import type {Config} from '../../src/lib/config/index.js'
import {createForges} from '../../src/lib/forges/index.js'
import {startFakeForge} from './fake-forge.mjs'
import {isAlive, killQuietly, killTmux, makeRepo, makeSandbox, processesIn, waitFor, writeConfig, type Sandbox} from './helpers.js'
import {noteTestDir} from './processes.js'
import {records} from './state.js'

export type FakeForge = Awaited<ReturnType<typeof startFakeForge>>

/** An issue as FakeForge.addIssue takes it. */
export interface IssueSpec {
  forge?: 'github' | 'forgejo'
  owner: string
  repo: string
  number: number
  title?: string
  body?: string
  state?: 'open' | 'closed'
  pull?: boolean
  omitState?: boolean
  extra?: Record<string, unknown>
}

export interface ForgeSandboxOptions {
  /** Repositories ('owner/repo') to make before each test: a checkout in the workspace with a bare origin. */
  repos?: string[]
  /** Attach each of `repos`' bare origins to the forge (attachGit): a worker that pushes there can open a pull request. */
  attachGit?: boolean
  /** Issues the forge serves from the start of each test. */
  issues?: IssueSpec[]
  /** Extra config keys (writeConfig's third argument). */
  config?: Record<string, unknown>
  /** Configure the fake forge's Forgejo side as well as its GitHub side. */
  forgejo?: boolean
  /** Extra environment for the commands the test runs (tokens and the like). */
  env?: NodeJS.ProcessEnv
  /** Stand-in claudes hold after their first reply until `release` exists (STANDIN_HOLD_FILE). */
  hold?: boolean
  /** How long workers get to exit after each test before they are killed (ms). */
  exitWaitMs?: number
  /** Also after each test, once the workers are gone, before the forge is verified: what else the file started (a model server). */
  teardown?: () => unknown
}

/** The handles of the current test; useForgeSandbox replaces them before each test. */
export interface ForgeSandbox {
  forge: FakeForge
  sb: Sandbox
  /** sb.env with a private tmux server (TMUX_TMPDIR in the sandbox), the hold file if asked, and `opts.env`. */
  env: NodeJS.ProcessEnv
  /** The hold file: writing it lets held stand-ins finish (written after each test in any case). */
  release: string
  /** Pids the test started outside the registry: waited for, then killed, after the test. */
  pids: Set<number>
  /** The checkout made for each of `opts.repos`, by 'owner/repo'. */
  checkouts: Record<string, string>
}

/** Register a sandbox + fake forge per test in the calling describe block; returns the live handles. */
export function useForgeSandbox(opts: ForgeSandboxOptions = {}): ForgeSandbox {
  const t = {pids: new Set<number>()} as ForgeSandbox
  beforeEach(async () => {
    t.forge = await startFakeForge()
    t.sb = makeSandbox()
    t.release = path.join(t.sb.dir, 'release')
    writeConfig(t.sb, {github: t.forge.github, ...(opts.forgejo ? {forgejo: t.forge.forgejo} : {})}, opts.config)
    t.env = {...t.sb.env, TMUX_TMPDIR: t.sb.dir, ...(opts.hold ? {STANDIN_HOLD_FILE: t.release} : {}), ...opts.env}
    t.checkouts = Object.fromEntries((opts.repos ?? []).map((name) => [name, makeRepo(t.sb, ...(name.split('/') as [string, string]))]))
    if (opts.attachGit) for (const name of opts.repos ?? []) t.forge.attachGit(...(name.split('/') as [string, string]), originOf(t.sb, name))
    for (const issue of opts.issues ?? []) t.forge.addIssue(issue as Parameters<FakeForge['addIssue']>[0])
  })
  afterEach(async () => {
    try {
      await stopEverything(t.sb, t.env, t.release, t.pids, opts.exitWaitMs ?? 10_000)
    } finally {
      await t.forge.close()
      t.sb.cleanup()
      await opts.teardown?.()
    }
    // Last, so that a failure here still left nothing behind.
    t.forge.verify()
  })
  return t
}

/** The bare origin makeRepo made for 'owner/repo'. */
export function originOf(sb: Sandbox, name: string): string {
  const [owner, repo] = name.split('/')
  return path.join(sb.remotes, owner, `${repo}.git`)
}

/** Release held workers, wait for every process the test left (then kill it), and end the private tmux server. */
async function stopEverything(sb: Sandbox, env: NodeJS.ProcessEnv, release: string, extra: Set<number>, waitMs: number): Promise<void> {
  writeFileSync(release, '')
  const pids = new Set(extra)
  extra.clear()
  for (const r of records(sb)) for (const p of [r.pid, r.supervisor_pid]) if (typeof p === 'number' && p > 0) pids.add(p)
  await waitFor('workers to exit', () => [...pids].every((p) => !isAlive(p)), waitMs).catch(() => killQuietly(pids))
  killTmux(env)
  // Whatever still runs in the sandbox (a stand-in nobody recorded, a pane's shell): it goes too.
  const left = processesIn(sb.dir)
  killQuietly(left)
  await waitFor('leftover processes to die', () => left.every((p) => !isAlive(p)), 5_000).catch(() => {})
}

export interface PlainSandbox {
  sb: Sandbox
  /** Processes the test started: killed after it. */
  procs: Array<{kill(signal?: NodeJS.Signals): unknown}>
}

/** The config most forge-less tests need: acme as the only owner, state and worktrees in the sandbox. */
export function writeMinimalConfig(sb: Sandbox): void {
  writeFileSync(sb.configFile, JSON.stringify({allowedOwners: ['acme'], stateDir: sb.stateDir, worktreeRoot: sb.worktreeRoot}))
}

/**
 * A sandbox per test with no forge (commands that never ask one), in the
 * calling describe block. `config` writes the config file (default:
 * writeMinimalConfig; false: none).
 */
export function useSandbox(config: ((sb: Sandbox) => void) | false = writeMinimalConfig): PlainSandbox {
  const t = {procs: []} as unknown as PlainSandbox
  beforeEach(() => {
    t.sb = makeSandbox()
    if (config) config(t.sb)
  })
  afterEach(() => {
    for (const p of t.procs.splice(0)) p.kill('SIGKILL')
    t.sb.cleanup()
  })
  return t
}

/** A temp dir per test (`prefix` names it), removed after. */
export function useTempDir(prefix: string): {dir: string} {
  const t = {dir: ''}
  beforeEach(() => {
    t.dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), prefix)))
    noteTestDir(t.dir)
  })
  afterEach(() => rmSync(t.dir, {recursive: true, force: true, maxRetries: 10, retryDelay: 100}))
  return t
}

export interface LoopbackConfigOptions {
  /** Configure the Forgejo side as well (token in FORGEJO_TOKEN). */
  forgejo?: boolean
  timeoutMs?: number
  /** Default: ['acme']. */
  allowedOwners?: string[]
}

/** A full Config for library tests that call the forge clients against the loopback forge; no file, no workspace. */
export function loopbackConfig(forge: FakeForge, opts: LoopbackConfigOptions = {}): Config {
  return {
    file: '/dev/null',
    allowedOwners: opts.allowedOwners ?? ['acme'],
    workspace: {root: '/nonexistent', layout: '{owner}/{repo}'},
    repos: {},
    worktreeRoot: '/nonexistent/wt',
    stateDir: '/nonexistent/state',
    maxActive: 8,
    healthWindowMs: 1000,
    timeoutMs: opts.timeoutMs ?? 30_000,
    github: forge.github,
    forgejo: opts.forgejo ? {...forge.forgejo, tokenEnv: 'FORGEJO_TOKEN'} : undefined,
    claude: {bin: 'claude', permissionMode: 'auto', allowedTools: [], extraArgs: []},
    landing: 'pr',
    interactive: {surface: 'auto'},
    notify: {desktop: false, timeoutMs: 1000},
    prompts: {},
  }
}

export interface LoopbackForge {
  forge: FakeForge
  /** The warnings the forge clients gave in this test (emptied before each test). */
  warnings: string[]
  /** Tokens for both forges and nothing else: what createForges reads. */
  env: NodeJS.ProcessEnv
  /** Collects a warning into `warnings`. */
  warn: (message: string) => void
  /** The forge clients for `config`, with `env`'s tokens, warning into `warnings`. */
  forges: (config: Config) => ReturnType<typeof createForges>
}

/**
 * The strict fake forge alone, per test, in the calling describe block: for
 * library tests that call the forge clients with no sandbox. Closed and
 * verified after each test.
 */
export function useFakeForge(): LoopbackForge {
  const warnings: string[] = []
  const env = {GH_TOKEN: 'ghp_testtoken123', FORGEJO_TOKEN: 'fj_testtoken456', PATH: ''}
  const warn = (message: string) => void warnings.push(message)
  const t: LoopbackForge = {forge: undefined as unknown as FakeForge, warnings, env, warn, forges: (config) => createForges(config, env, warn)}
  beforeEach(async () => {
    t.forge = await startFakeForge()
    t.warnings.length = 0
  })
  afterEach(async () => {
    await t.forge.close()
    t.forge.verify()
  })
  return t
}

const entries = (dir: string) => (existsSync(dir) ? readdirSync(dir) : [])

/** Nothing was created by a refused dispatch: no worktree, no record, no log, no claude started. */
export function expectNothingCreated(sb: Sandbox): void {
  expect(entries(sb.worktreeRoot), 'worktrees').to.deep.equal([])
  expect(records(sb), 'records').to.deep.equal([])
  expect(entries(path.join(sb.stateDir, 'logs')), 'logs').to.deep.equal([])
  expect(entries(sb.recordDir), 'claude runs').to.deep.equal([])
}
