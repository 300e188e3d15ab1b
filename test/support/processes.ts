/**
 * Which processes a test run started, found through /proc (Linux), and how
 * they are stopped. Every process the suite starts inherits two variables:
 * DISPATCH_TEST_RUN (this run's id, set by the mocha process that runs the
 * suite) and DISPATCH_TEST_OWNER (the pid of the mocha process whose test
 * started it: a parallel worker, or the main process when run serially).
 * makeSandbox() puts both into the sandbox's env, since that env is built
 * from scratch; everything started with process.env has them already.
 * test/support/root-hooks.ts uses these to stop what each test left and to
 * fail the run when anything is still running at its end.
 */
import {randomUUID} from 'node:crypto'
import {readdirSync, readFileSync, readlinkSync} from 'node:fs'
import path from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'

export const RUN_VAR = 'DISPATCH_TEST_RUN'
export const OWNER_VAR = 'DISPATCH_TEST_OWNER'
/** Set by the main mocha process to its own pid, so its parallel workers (its children) know they belong to it. */
const MAIN_VAR = 'DISPATCH_TEST_MAIN'

/**
 * Claim this process's place in a run: a worker of a main mocha process keeps
 * the run id; any other process (a main mocha, or a mocha a test starts for a
 * fixture) begins a run of its own. Returns whether this is a main process.
 */
export function joinRun(): boolean {
  const main = process.env[MAIN_VAR] !== String(process.ppid) || !process.env[RUN_VAR]
  if (main) {
    process.env[RUN_VAR] = randomUUID()
    process.env[MAIN_VAR] = String(process.pid)
  }
  process.env[OWNER_VAR] = String(process.pid)
  return main
}

/** The variables that mark a process as this run's and this mocha process's (for envs built from scratch). */
export function markerEnv(): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {}
  for (const name of [RUN_VAR, OWNER_VAR, MAIN_VAR]) if (process.env[name]) out[name] = process.env[name]
  return out
}

export interface Proc {
  pid: number
  ppid: number
  /** Start time in clock ticks since boot: with the pid, names one process for good. */
  start: string
  state: string
  cmdline: string
}

export const key = (p: Proc): string => `${p.pid}:${p.start}`

function stat(pid: number): {ppid: number; start: string; state: string} | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // comm may hold spaces and parentheses: the fields start after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
    return {state: fields[0], ppid: Number(fields[1]), start: fields[19]}
  } catch {
    return undefined
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ')
  } catch {
    return ''
  }
}

function environ(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0')
  } catch {
    return []
  }
}

function cwdOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/cwd`)
  } catch {
    return undefined
  }
}

/** Every live process (not zombies, not this one) that `match` accepts. */
export function scan(match: (pid: number) => boolean): Proc[] {
  const out: Proc[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const pid = Number(name)
    if (pid === process.pid || !match(pid)) continue
    const s = stat(pid)
    if (!s || s.state === 'Z' || s.state === 'X') continue
    out.push({pid, ...s, cmdline: cmdline(pid)})
  }
  return out
}

/** Whether the process or one of its ancestors has a command line that `test` accepts. */
export function hasAncestor(p: Proc, test: (cmdline: string) => boolean): boolean {
  const seen = new Set<number>()
  for (let pid = p.pid; pid > 1 && !seen.has(pid); pid = stat(pid)?.ppid ?? 0) {
    seen.add(pid)
    if (test(cmdline(pid))) return true
  }
  return false
}

/** Processes whose environment holds `name=value`. */
export function marked(name: string, value: string): Proc[] {
  const entry = `${name}=${value}`
  return scan((pid) => environ(pid).includes(entry))
}

/** Processes whose working directory, or any word of whose command line, is inside one of `dirs`. */
export function inDirs(dirs: readonly string[]): Proc[] {
  if (dirs.length === 0) return []
  const inside = (p: string | undefined) => p !== undefined && dirs.some((d) => p === d || p.startsWith(d + path.sep))
  return scan((pid) => inside(cwdOf(pid)) || cmdline(pid).split(' ').some(inside))
}

/** `roots` and every process below them (by parent pid), each once. */
export function withDescendants(roots: Proc[]): Proc[] {
  const all = scan(() => true)
  const found = new Map(roots.map((p) => [p.pid, p]))
  for (let grew = true; grew; ) {
    grew = false
    for (const p of all) {
      if (!found.has(p.pid) && found.has(p.ppid)) {
        found.set(p.pid, p)
        grew = true
      }
    }
  }
  return [...found.values()]
}

/** Still the same process (pid not reused) and not yet a zombie. */
export function running(p: Proc): boolean {
  const s = stat(p.pid)
  return s !== undefined && s.start === p.start && s.state !== 'Z' && s.state !== 'X'
}

/**
 * Stop processes by pid: tmux servers first with SIGTERM (their panes get
 * SIGHUP), then SIGKILL for everything still there; resolves when all are
 * gone or `waitMs` has passed, with the ones still running.
 */
export async function stopAll(procs: Proc[], waitMs = 10_000): Promise<Proc[]> {
  const signal = (p: Proc, sig: NodeJS.Signals) => {
    // NOTE: never 0 or a negative pid: that would signal a whole process group, maybe the run's own.
    if (!(p.pid > 1) || !running(p)) return
    try {
      process.kill(p.pid, sig)
    } catch {}
  }
  for (const p of procs) if (/^tmux/.test(p.cmdline)) signal(p, 'SIGTERM')
  for (const p of procs) signal(p, 'SIGKILL')
  const deadline = Date.now() + waitMs
  for (;;) {
    const left = procs.filter(running)
    if (left.length === 0 || Date.now() > deadline) return left
    await delay(25)
  }
}

export const describeProc = (p: Proc): string => `pid ${p.pid}: ${p.cmdline || '(no command line)'}`

/** Temp dirs the tests of this process made (makeSandbox, useTempDir), since the last take. */
const dirs: string[] = []
export function noteTestDir(dir: string): void {
  dirs.push(dir)
}
export function takeTestDirs(): string[] {
  return dirs.splice(0)
}
