import {constants, accessSync, existsSync, statSync} from 'node:fs'
import path from 'node:path'

import {budgetCheck} from './budget.js'
import {claudeAuth, pingModelApi} from './claude-auth.js'
import {findClaudeBinary} from './claude.js'
import {loadConfig, type Config} from './config/index.js'
import {describeCause, errorMessage} from './errors.js'
import {createForges} from './forges/index.js'
import {which} from './which.js'
import {forgejoToken, githubToken} from './forges/tokens.js'
import {parseOwnerEntry} from './policy.js'
import type {RunnerKind} from './registry/index.js'
import {slurmChecks} from './runners/slurm-doctor.js'
import {runForOutput} from './subprocess.js'

export interface Check {
  name: string
  /** ok: fine; warn: works but worth knowing; fail: dispatch will not work until fixed. */
  status: 'ok' | 'warn' | 'fail'
  detail: string
  fix?: string
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
    const version = await run(bin, ['--version'], opts.env, 10_000).catch((error) => `version unknown (${errorMessage(error).split('\n')[0]})`)
    checks.push({name: 'claude', status: 'ok', detail: `${bin}: ${version.split('\n')[0]}`})
  } catch (error) {
    const e = error as {message: string; suggestion?: string}
    checks.push({name: 'claude', status: 'fail', detail: e.message, fix: e.suggestion})
  }
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
  if (config.claude.permissionMode === 'auto') {
    checks.push({
      name: 'permission mode',
      status: 'warn',
      detail: 'claude.permissionMode is auto, which needs a safety classifier that some accounts and API setups lack; workers then get their tool calls denied.',
      fix: 'If workers stall on denied tools, set claude.permissionMode to acceptEdits (and list the tools they need in claude.allowedTools).',
    })
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
        (error): Check => ({name: `GitHub (${f.host})`, status: 'fail', detail: describeCause(error), fix: (error as {suggestion?: string}).suggestion}),
      ),
    ),
  ]
  const fj = forges.forgejo()
  if (fj) {
    pings.push(
      fj.ping().then(
        (detail): Check => ({name: `Forgejo (${fj.host})`, status: 'ok', detail}),
        (error): Check => ({name: `Forgejo (${fj.host})`, status: 'fail', detail: describeCause(error), fix: (error as {suggestion?: string}).suggestion}),
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
  if (config.budget) checks.push(await budgetCheck(config.stateDir, config.budget.dailyUsd, new Date()))
  if ((opts.runner ?? config.runner.kind) === 'slurm') checks.push(...(await slurmChecks(config, opts.env)))
  const root = config.workspace.root
  checks.push(
    existsSync(root)
      ? {name: 'workspace', status: 'ok', detail: `${root} (layout ${config.workspace.layout})`}
      : {name: 'workspace', status: 'warn', detail: `${root} does not exist`, fix: 'Set workspace.root to where your checkouts live, or map repos explicitly under repos.'},
  )
  return {ok: checks.every((c) => c.status !== 'fail'), checks}
}
