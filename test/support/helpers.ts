import {execFileSync, spawn} from 'node:child_process'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'
import {fileURLToPath} from 'node:url'

import {markerEnv, noteTestDir} from './processes.js'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const BIN = path.join(ROOT, 'bin', 'run.js')
export const STAND_IN = path.join(ROOT, 'test', 'support', 'stand-in-claude.mjs')

/** A hermetic sandbox: HOME, XDG dirs, Claude config dir, workspace and worktree roots under one temp dir. */
export interface Sandbox {
  dir: string
  home: string
  stateDir: string
  worktreeRoot: string
  workspace: string
  remotes: string
  claudeDir: string
  recordDir: string
  configFile: string
  env: NodeJS.ProcessEnv
  cleanup(): void
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: gitEnv()}).trim()
}

function gitEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GIT_AUTHOR_NAME: 'Test',
    GIT_AUTHOR_EMAIL: 'test@example.invalid',
    GIT_COMMITTER_NAME: 'Test',
    GIT_COMMITTER_EMAIL: 'test@example.invalid',
    GIT_CONFIG_NOSYSTEM: '1',
  }
}

export function makeSandbox(): Sandbox {
  const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'dispatch-test-')))
  noteTestDir(dir)
  const home = path.join(dir, 'home')
  const claudeDir = path.join(dir, 'claude-config')
  for (const d of [home, claudeDir, path.join(dir, 'xdg-config'), path.join(dir, 'workspace'), path.join(dir, 'remotes')]) mkdirSync(d, {recursive: true})
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    LANG: 'C.UTF-8',
    HOME: home,
    XDG_CONFIG_HOME: path.join(dir, 'xdg-config'),
    XDG_DATA_HOME: path.join(dir, 'xdg-data'),
    XDG_STATE_HOME: path.join(dir, 'xdg-state'),
    XDG_CACHE_HOME: path.join(dir, 'xdg-cache'),
    CLAUDE_CONFIG_DIR: claudeDir,
    OCLIF_SKIP_NEW_VERSION_CHECK: 'true',
    NO_COLOR: '1',
    GIT_AUTHOR_NAME: 'Test',
    GIT_AUTHOR_EMAIL: 'test@example.invalid',
    GIT_COMMITTER_NAME: 'Test',
    GIT_COMMITTER_EMAIL: 'test@example.invalid',
    GIT_CONFIG_NOSYSTEM: '1',
    STANDIN_RECORD_DIR: path.join(dir, 'stand-in-records'),
    // Nothing a test runs may reach the real model API: a closed loopback port unless a test starts a server.
    ANTHROPIC_BASE_URL: 'http://127.0.0.1:2',
    // This run's marks (test/support/processes.ts): whatever a test starts with this env is found and stopped after it.
    ...markerEnv(),
  }
  const configFile = path.join(dir, 'dispatch.yaml')
  env.DISPATCH_CONFIG = configFile
  return {
    dir,
    home,
    stateDir: path.join(dir, 'state'),
    worktreeRoot: path.join(dir, 'worktrees'),
    workspace: path.join(dir, 'workspace'),
    remotes: path.join(dir, 'remotes'),
    claudeDir,
    recordDir: path.join(dir, 'stand-in-records'),
    configFile,
    env,
    cleanup() {
      rmSync(dir, {recursive: true, force: true, maxRetries: 10, retryDelay: 100})
    },
  }
}

/** A repository with a bare origin at remotes/<owner>/<repo>.git and a clone in the workspace. */
export function makeRepo(sb: Sandbox, owner: string, repo: string, opts: {defaultBranch?: string; origin?: boolean} = {}): string {
  const branch = opts.defaultBranch ?? 'main'
  const checkout = path.join(sb.workspace, owner, repo)
  mkdirSync(checkout, {recursive: true})
  git(checkout, 'init', '-q', '-b', branch)
  writeFileSync(path.join(checkout, 'README.md'), `# ${repo}\n`)
  git(checkout, 'add', 'README.md')
  git(checkout, 'commit', '-q', '-m', 'Initial commit')
  if (opts.origin !== false) {
    const bare = path.join(sb.remotes, owner, `${repo}.git`)
    mkdirSync(path.dirname(bare), {recursive: true})
    git(sb.dir, 'init', '-q', '--bare', '-b', branch, bare)
    git(checkout, 'remote', 'add', 'origin', bare)
    git(checkout, 'push', '-q', '-u', 'origin', branch)
    git(checkout, 'remote', 'set-head', 'origin', branch)
  }
  return checkout
}

export interface ForgeUrls {
  github: {apiUrl: string; webUrl: string}
  forgejo?: {baseUrl: string; apiUrl: string}
}

export function writeConfig(sb: Sandbox, forge: ForgeUrls, extra: Record<string, unknown> = {}): void {
  const config = {
    allowedOwners: ['acme', 'Solo-Dev'],
    workspace: {root: sb.workspace, layout: '{owner}/{repo}'},
    worktreeRoot: sb.worktreeRoot,
    stateDir: sb.stateDir,
    // Long enough for a loaded machine: a worker that replies or crashes is judged by that, not by the clock.
    // A test that needs the window to close sets DISPATCH_FAULT_HEALTH_FILE and writes the file (docs/testing.md).
    healthWindowMs: 60_000,
    timeoutMs: 30_000,
    github: forge.github,
    ...(forge.forgejo ? {forgejo: forge.forgejo} : {}),
    claude: {bin: STAND_IN, permissionMode: 'acceptEdits'},
    landing: 'pr',
    // Chosen, so no test gets the daily reminder of an unsandboxed default unless it asks for it.
    sandbox: {kind: 'none'},
    ...extra,
  }
  writeFileSync(sb.configFile, JSON.stringify(config, null, 2))
}

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Run the real binary as a child process (`bin`: an installed `dispatch` to run instead, as a user would). */
export function runCli(args: string[], opts: {env: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number; bin?: string}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const [cmd, argv] = opts.bin ? [opts.bin, args] : [process.execPath, [BIN, ...args]]
    const child = spawn(cmd, argv, {cwd: opts.cwd ?? ROOT, env: opts.env, stdio: ['pipe', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`dispatch ${args.join(' ')} did not finish in ${opts.timeoutMs ?? 120_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`))
    }, opts.timeoutMs ?? 120_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code: code ?? -1, stdout, stderr})
    })
    child.stdin.end(opts.input ?? '')
  })
}

export interface StartedCli {
  pid: number
  stdout(): string
  stderr(): string
  done: Promise<CliResult & {signal: NodeJS.Signals | null}>
  /** waitFor while this dispatch runs: fails at once, with its output, when it exits before `check` holds. */
  waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs?: number): Promise<T>
}

/** Start the real binary and watch its output while it runs. */
export function startCli(args: string[], opts: {env: NodeJS.ProcessEnv; cwd?: string}): StartedCli {
  const child = spawn(process.execPath, [BIN, ...args], {cwd: opts.cwd ?? ROOT, env: opts.env, stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  const done = new Promise<CliResult & {signal: NodeJS.Signals | null}>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({code: code ?? -1, signal, stdout, stderr}))
  })
  let exited: string | undefined
  child.on('exit', (code, signal) => (exited = signal ?? `exit code ${code}`))
  const waitWhile = <T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs?: number) =>
    waitFor(
      what,
      async () => {
        const ended = exited
        const value = await check()
        if (value || !ended) return value
        throw new Error(`dispatch ${args.join(' ')} ended (${ended}) before ${what}\nstdout: ${stdout}\nstderr: ${stderr}`)
      },
      timeoutMs,
    )
  return {pid: child.pid!, stdout: () => stdout, stderr: () => stderr, done, waitFor: waitWhile}
}

/** Wait for a condition with a deadline (generous: a loaded machine must pass); never a bare sleep. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await delay(25)
  }
}

/** Kill every process a test left (workers, supervisors), by pid. */
export function killQuietly(pids: Iterable<number>): void {
  for (const pid of pids) {
    // NOTE: 0 (a Slurm record's pid) or a negative number would kill a whole process group: the test run's own.
    if (!(pid > 0)) continue
    try {
      process.kill(pid, 'SIGKILL')
    } catch {}
  }
}

/** The process runs: it exists and is not a zombie (a killed process whose parent has not reaped it yet). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2))
  } catch {
    return false
  }
}

/** Every descendant of a process (children first found by ps), for cleaning up after terminals. */
export function descendants(pid: number): number[] {
  let out: string
  try {
    out = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], {encoding: 'utf8'})
  } catch {
    return []
  }
  const children = new Map<number, number[]>()
  for (const line of out.trim().split('\n')) {
    const [p, pp] = line.trim().split(/\s+/).map(Number)
    children.set(pp, [...(children.get(pp) ?? []), p])
  }
  const found: number[] = []
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      found.push(c)
      walk(c)
    }
  }
  walk(pid)
  return found
}

/** Kill a private tmux server and everything its panes started. */
export function killTmux(env: NodeJS.ProcessEnv): void {
  let panes: number[] = []
  try {
    panes = execFileSync('tmux', ['list-panes', '-a', '-F', '#{pane_pid}'], {env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']})
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number)
  } catch {}
  const all = panes.flatMap((p) => [p, ...descendants(p)])
  try {
    execFileSync('tmux', ['kill-server'], {env, stdio: 'ignore'})
  } catch {}
  killQuietly(all)
}

/**
 * Stands for the Messages API where a command only asks whether it answers
 * (doctor): every request gets a 404. Returns the env that points Claude at it.
 */
export async function startModelStub(): Promise<{env: NodeJS.ProcessEnv; close(): Promise<void>}> {
  const server = http.createServer((_req, res) => res.writeHead(404).end())
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    env: {ANTHROPIC_BASE_URL: `http://127.0.0.1:${port}`, ANTHROPIC_API_KEY: 'sk-ant-STUBKEY0123456789'},
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

/** Processes (other than this one) whose working directory is inside `dir`: what a test left running there. Linux. */
export function processesIn(dir: string): number[] {
  const out: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue
    try {
      const cwd = readlinkSync(`/proc/${name}/cwd`)
      if (cwd === dir || cwd.startsWith(dir + path.sep)) out.push(Number(name))
    } catch {}
  }
  return out
}

/** Every file under a directory, relative, recursively ([] when it does not exist). */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return []
  return (readdirSync(dir, {recursive: true, withFileTypes: true}) as import('node:fs').Dirent[])
    .filter((d) => !d.isDirectory())
    .map((d) => path.relative(dir, path.join(d.parentPath ?? (d as {path?: string}).path ?? dir, d.name)))
}

/**
 * Mount a 64 KiB tmpfs at `dir` (needs root; false when it can't), so tests
 * can see what a full disk does. The caller unmounts it.
 */
export function mountTiny(dir: string): boolean {
  mkdirSync(dir, {recursive: true})
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', dir], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

/** Fill a (tiny) filesystem to the last byte with a file named `filler`. */
export function fillDisk(dir: string): void {
  try {
    execFileSync('dd', ['if=/dev/zero', `of=${path.join(dir, 'filler')}`, 'bs=1024'], {stdio: 'ignore'})
  } catch {
    // dd stops with ENOSPC: that is the point.
  }
}
