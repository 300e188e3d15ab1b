import {constants, accessSync, existsSync, statSync} from 'node:fs'
import path from 'node:path'

import {budgetCheck} from './budget.js'
import {claudeAuth, pingModelApi} from './claude-auth.js'
import {findClaudeBinary} from './claude.js'
import type {Check} from './doctor-check.js'
import {claudeConfigChecks, permissionModeCheck, permissionModeChoices} from './doctor-claude.js'
import {loadConfig, type Config} from './config/index.js'
import {describeCause, errorMessage} from './errors.js'
import {createForges} from './forges/index.js'
import {ForgeReachError, IssueNotFoundError} from './forges/http-errors.js'
import {which} from './which.js'
import {forgejoToken, githubToken} from './forges/tokens.js'
import {parseOwnerEntry} from './policy.js'
import {Registry, type RunnerKind} from './registry/index.js'
import {slurmChecks} from './runners/slurm-doctor.js'
import {sandboxCheck} from './sandbox/check.js'
import {runForOutput} from './subprocess.js'

export type {Check} from './doctor-check.js'

/**
 * The fix for a forge that failed doctor's reachability check. The forge
 * errors' own suggestions are written for a dispatch (an issue that is not
 * there, "run dispatch doctor"); here the URL is what to check. Pure.
 */
export function pingFix(error: unknown, key: 'github.apiUrl' | 'forgejo.apiUrl', url: string): string | undefined {
  const api = key === 'github.apiUrl' ? 'https://api.github.com, or https://<host>/api/v3 for GitHub Enterprise' : '<forgejo.baseUrl>/api/v1'
  if (error instanceof IssueNotFoundError) return `${url} is not the forge's API (it answered 404): set ${key} to the API's URL (${api}).`
  if (error instanceof ForgeReachError) return `Check the network, and that ${key} (${url}) is the forge's API (${api}).`
  return (error as {suggestion?: string}).suggestion
}

export interface DoctorReport {
  ok: boolean
  checks: Check[]
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 5000): Promise<string> {
  return runForOutput(cmd, args, {env, timeoutMs})
}

/** Can we create or write `dir`? Checks the nearest existing ancestor; creates nothing. */
function writableDir(dir: string): {ok: boolean; detail: string} {
  let probe = dir
  while (!existsSync(probe)) {
    const parent = path.dirname(probe)
    if (parent === probe) break
    probe = parent
  }
  try {
    if (!statSync(probe).isDirectory()) return {ok: false, detail: `${probe} is not a directory`}
    accessSync(probe, constants.W_OK)
    const st = statSync(probe)
    if (probe === dir && (st.mode & 0o022) !== 0) return {ok: false, detail: `${dir} is writable by other users (mode ${(st.mode & 0o777).toString(8)})`}
    return {ok: true, detail: probe === dir ? `${dir} is writable` : `${dir} will be created (under ${probe})`}
  } catch (error) {
    return {ok: false, detail: `${probe} is not writable: ${errorMessage(error)}`}
  }
}

/**
 * A worktreeRoot other users can enter: each worktree holds the files
 * .worktreeinclude copies (.env and the like). New worktrees are made 0700,
 * but a root (or a worktree) made before, or by hand, may not be.
 */
function worktreeRootPrivacy(dir: string): Check | undefined {
  let mode: number
  try {
    mode = statSync(dir).mode
  } catch {
    return undefined
  }
  if ((mode & 0o055) === 0) return undefined
  return {
    name: 'worktree root',
    status: 'warn',
    detail: `${dir} can be read by other users (mode ${(mode & 0o777).toString(8)}); worktrees hold the files .worktreeinclude copies, such as .env`,
    fix: `chmod 700 ${dir}, unless other users must reach it (shared cluster storage: then keep secrets out of .worktreeinclude).`,
  }
}

/** The model side: a credential Claude will use, and the API it will talk to. */
async function modelChecks(env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Check[]> {
  const auth = claudeAuth(env)
  const checks: Check[] = [
    auth.source
      ? {name: 'Claude auth', status: 'ok', detail: `from ${auth.source}`}
      : {name: 'Claude auth', status: 'fail', detail: 'no API key, auth token or logged-in account found for Claude Code', fix: 'Run claude once and /login, or set ANTHROPIC_API_KEY.'},
  ]
  if (auth.cloud) return checks
  const ping = await pingModelApi(env, Math.min(timeoutMs, 10_000))
  checks.push(
    ping.ok
      ? {name: 'model API', status: 'ok', detail: ping.detail}
      : {name: 'model API', status: 'fail', detail: ping.detail, fix: 'Check the network, or ANTHROPIC_BASE_URL when you use a proxy or gateway.'},
  )
  return checks
}

/** `dispatch doctor`: one line per check, with the fix. Never prints a token. */
export async function runDoctor(opts: {configPath?: string; cwd: string; env: NodeJS.ProcessEnv; runner?: RunnerKind}): Promise<DoctorReport> {
  const checks: Check[] = []
  const warnings: string[] = []
  let config: Config | undefined
  try {
    config = await loadConfig({configPath: opts.configPath, cwd: opts.cwd, env: opts.env, warn: (m) => warnings.push(m)})
    const bare = config.forgejo ? config.allowedOwners.filter((e) => !parseOwnerEntry(e)?.forge) : []
    const routing = bare.length > 0 ? `; bare owners (${bare.join(', ')}) are looked up on Forgejo first and on GitHub after a 404, with a warning: write forgejo:name or github:name to pin one forge` : ''
    checks.push({name: 'config', status: 'ok', detail: `${config.file} (allowedOwners: ${config.allowedOwners.join(', ')})${routing}`})
    // One line each: several warnings run together on one line are not read.
    for (const w of warnings) checks.push({name: 'config', status: 'warn', detail: w.replace(/^warning: /, '')})
  } catch (error) {
    const e = error as {message: string; suggestion?: string}
    checks.push({name: 'config', status: 'fail', detail: e.message, fix: e.suggestion})
  }

  try {
    const version = (await run('git', ['--version'], opts.env)).replace(/^git version /, '')
    const [major, minor] = version.split('.').map(Number)
    const recent = major > 2 || (major === 2 && minor >= 20)
    checks.push({name: 'git', status: recent ? 'ok' : 'fail', detail: `git ${version}`, fix: recent ? undefined : 'Install git 2.20 or newer (worktree support).'})
  } catch (error) {
    checks.push({name: 'git', status: 'fail', detail: `git not found: ${errorMessage(error)}`, fix: 'Install git.'})
  }

  if (!config) return {ok: false, checks}

  try {
    const bin = findClaudeBinary(config.claude.bin, opts.env, opts.cwd)
    const [version, help] = await Promise.all([
      run(bin, ['--version'], opts.env, 10_000).catch((error) => `version unknown (${errorMessage(error).split('\n')[0]})`),
      run(bin, ['--help'], opts.env, 10_000).catch(() => ''),
    ])
    checks.push({name: 'claude', status: 'ok', detail: `${bin}: ${version.split('\n')[0]}`})
    checks.push(permissionModeCheck(config.claude.permissionMode, permissionModeChoices(help)))
  } catch (error) {
    const e = error as {message: string; suggestion?: string}
    checks.push({name: 'claude', status: 'fail', detail: e.message, fix: e.suggestion})
    checks.push(permissionModeCheck(config.claude.permissionMode, undefined))
  }
  checks.push(...claudeConfigChecks(opts.env))
  checks.push(...(await modelChecks(opts.env, config.timeoutMs)))
  if (config.interactive.surface === 'tmux') {
    const tmux = which('tmux', opts.env)
    const fix = 'Install tmux (apt-get install tmux, brew install tmux), or choose another interactive.surface.'
    checks.push(
      tmux
        ? await run(tmux, ['-V'], opts.env).then(
            (v): Check => ({name: 'tmux', status: 'ok', detail: v}),
            (error): Check => ({name: 'tmux', status: 'fail', detail: `interactive.surface is tmux, but ${tmux} does not run: ${errorMessage(error).split('\n')[0]}`, fix}),
          )
        : {name: 'tmux', status: 'fail', detail: 'interactive.surface is tmux, but tmux is not on PATH', fix},
    )
  }
  const gh = await githubToken(opts.env, new URL(config.github.webUrl).hostname)
  checks.push(
    gh.token
      ? {name: 'GitHub token', status: 'ok', detail: `from ${gh.source}`}
      : {name: 'GitHub token', status: 'warn', detail: 'none: GitHub is used unauthenticated (60 requests an hour, public repositories only)', fix: 'Set GH_TOKEN or run gh auth login.'},
  )
  if (config.forgejo) {
    const fj = forgejoToken(opts.env, config.forgejo.tokenEnv)
    checks.push(
      fj.token
        ? {name: 'Forgejo token', status: 'ok', detail: `from ${fj.source}`}
        : {name: 'Forgejo token', status: 'warn', detail: `${config.forgejo.tokenEnv} is not set: only public repositories can be read`, fix: `Set ${config.forgejo.tokenEnv} to a Forgejo access token.`},
    )
  }
  const forges = createForges(config, opts.env, () => {})
  const pings: Array<Promise<Check>> = [
    forges.github().then((f) =>
      f.ping().then(
        (detail): Check => ({name: `GitHub (${f.host})`, status: 'ok', detail}),
        (error): Check => ({name: `GitHub (${f.host})`, status: 'fail', detail: describeCause(error), fix: pingFix(error, 'github.apiUrl', config.github.apiUrl)}),
      ),
    ),
  ]
  const fj = forges.forgejo()
  if (fj) {
    pings.push(
      fj.ping().then(
        (detail): Check => ({name: `Forgejo (${fj.host})`, status: 'ok', detail}),
        (error): Check => ({name: `Forgejo (${fj.host})`, status: 'fail', detail: describeCause(error), fix: pingFix(error, 'forgejo.apiUrl', config.forgejo!.apiUrl)}),
      ),
    )
  }
  checks.push(...(await Promise.all(pings)))

  for (const [name, dir] of [
    ['state dir', config.stateDir],
    ['worktree root', config.worktreeRoot],
  ] as const) {
    const w = writableDir(dir)
    checks.push({name, status: w.ok ? 'ok' : 'fail', detail: w.detail, fix: w.ok ? undefined : `Fix the permissions (chmod 700 ${dir}) or set ${name === 'state dir' ? 'stateDir' : 'worktreeRoot'} in the config.`})
  }
  const privacy = worktreeRootPrivacy(config.worktreeRoot)
  if (privacy) checks.push(privacy)
  // NOTE: doctor loads its own config (it must report a config that fails to load), so it reads that state dir's registry itself.
  if (config.budget) checks.push(budgetCheck(await new Registry({stateDir: config.stateDir}).all(), config.budget.dailyUsd, new Date()))
  if ((opts.runner ?? config.runner.kind) === 'slurm') checks.push(...(await slurmChecks(config, opts.env)))
  checks.push({name: 'sandbox', ...sandboxCheck(config, opts.env)})
  const root = config.workspace.root
  checks.push(
    existsSync(root)
      ? {name: 'workspace', status: 'ok', detail: `${root} (layout ${config.workspace.layout})`}
      : {name: 'workspace', status: 'warn', detail: `${root} does not exist`, fix: 'Set workspace.root to where your checkouts live, or map repos explicitly under repos.'},
  )
  return {ok: checks.every((c) => c.status !== 'fail'), checks}
}
