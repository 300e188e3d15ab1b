/**
 * Root hooks for every mocha run of the suite (loaded through .mocharc.json's
 * `require`, in the main process and in each parallel worker):
 *
 * - after each test, every process that test started and left running (it
 *   carries this mocha process's DISPATCH_TEST_OWNER, or runs in or names a
 *   temp dir the test made) is stopped by pid, with its descendants, and named
 *   on stderr, whether the test passed, failed or timed out;
 * - after each file, the same for what its before() hooks started;
 * - at the end of the run (main process), anything still carrying this run's
 *   DISPATCH_TEST_RUN fails the run, named by pid and command line, and is
 *   stopped.
 *
 * test/lib/support/root-hooks.test.ts proves the end-of-run check with a
 * fixture run that leaves a process behind.
 */
import {describeProc, hasAncestor, inDirs, joinRun, key, marked, OWNER_VAR, running, RUN_VAR, stopAll, takeTestDirs, withDescendants, type Proc} from './processes.js'

joinRun()
const me = String(process.pid)

/** Processes of the test machinery itself, never a test's leftovers: mocha's parallel workers and esbuild's service (tsx). */
function machinery(p: Proc): boolean {
  return /[/\\]esbuild(\.exe)? --service/.test(p.cmdline) || (p.ppid === process.pid && /mocha[/\\]lib[/\\]nodejs[/\\]worker\.js/.test(p.cmdline))
}

const owned = (): Proc[] => marked(OWNER_VAR, me).filter((p) => !machinery(p))

/**
 * A Slurm job's processes: useSlurm() cancels the jobs each test submitted,
 * and a job from a file's before() may start running during a later test, so
 * the per-test sweep leaves them to it (the end-of-run check still counts them).
 */
const slurmJob = (p: Proc): boolean => hasAncestor(p, (cmd) => cmd.startsWith('slurmstepd'))

/**
 * The least time any test or hook gets (DISPATCH_TEST_MIN_TIMEOUT_MS, default
 * 180 s): a describe's this.timeout(30_000) is what its tests take on a quiet
 * machine, not what they may take on a loaded one. A passing test never waits
 * for it; a hung one fails after it, and its processes are stopped all the same.
 * A test that sets its own timeout inside its body keeps it.
 */
const MIN_TIMEOUT_MS = Number(process.env.DISPATCH_TEST_MIN_TIMEOUT_MS) || 180_000

type Timed = {timeout(): number; timeout(ms: number): unknown}
function raiseTimeouts(suite: Mocha.Suite): void {
  const raise = (r: Timed) => {
    const ms = r.timeout()
    if (ms > 0 && ms < MIN_TIMEOUT_MS) r.timeout(MIN_TIMEOUT_MS)
  }
  raise(suite)
  const hooks = suite as unknown as Record<'_beforeAll' | '_beforeEach' | '_afterEach' | '_afterAll', Timed[]>
  for (const r of [...suite.tests, ...hooks._beforeAll, ...hooks._beforeEach, ...hooks._afterEach, ...hooks._afterAll]) raise(r)
  for (const child of suite.suites) raiseTimeouts(child)
}

/** What was running before, to tell it from what the test (or file) started. */
let beforeTest = new Set<string>()
let beforeFile = new Set<string>()

/** How long a test's processes get to finish dying after its own teardown before they count as left running. */
const SETTLE_MS = 2000

async function stopLeftovers(since: Set<string>, what: string): Promise<void> {
  const found = new Map<string, Proc>()
  for (const p of [...owned(), ...inDirs(takeTestDirs())]) if (!since.has(key(p)) && !machinery(p) && !slurmJob(p)) found.set(key(p), p)
  if (found.size === 0) return
  // What the test's own teardown just killed may take a moment to die: only what outlives that is a leftover.
  const deadline = Date.now() + SETTLE_MS
  while ([...found.values()].some(running) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25))
  for (const [k, p] of found) if (!running(p)) found.delete(k)
  if (found.size === 0) return
  const all = withDescendants([...found.values()]).filter((p) => !since.has(key(p)) && !machinery(p) && !slurmJob(p) && p.pid !== process.pid)
  const still = await stopAll(all)
  process.stderr.write(`      (${what} left ${all.length} process(es) running; stopped by pid: ${all.map(describeProc).join('; ')})\n`)
  if (still.length > 0) process.stderr.write(`      (still running after SIGKILL: ${still.map(describeProc).join('; ')})\n`)
}

export const mochaHooks = {
  beforeAll(this: Mocha.Context): void {
    let root = this.test!.parent!
    while (root.parent) root = root.parent
    raiseTimeouts(root)
    beforeFile = new Set(owned().map(key))
  },
  beforeEach(): void {
    takeTestDirs()
    beforeTest = new Set(owned().map(key))
  },
  async afterEach(this: Mocha.Context): Promise<void> {
    this.timeout(60_000)
    await stopLeftovers(beforeTest, `"${this.currentTest?.fullTitle() ?? 'a test'}"`)
  },
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(60_000)
    await stopLeftovers(beforeFile, 'a file\'s before/after hooks')
  },
}

/** How long the end-of-run check lets the last processes finish exiting on their own. */
const GRACE_MS = Number(process.env.DISPATCH_TEST_LEAK_GRACE_MS) || 10_000

/** Main process, after every test file: nothing this run started may still run. */
export async function mochaGlobalTeardown(): Promise<void> {
  const run = process.env[RUN_VAR]!
  const deadline = Date.now() + GRACE_MS
  let left: Proc[]
  for (;;) {
    left = marked(RUN_VAR, run).filter((p) => !machinery(p))
    if (left.length === 0) return
    if (Date.now() > deadline) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const all = withDescendants(left).filter((p) => !machinery(p) && p.pid !== process.pid)
  process.stderr.write(`\nThe test run left ${all.length} process(es) running (${RUN_VAR}=${run}); stopping them:\n${all.map((p) => `  ${describeProc(p)}\n`).join('')}`)
  await stopAll(all)
  process.exitCode = 1
  // Mocha sets the exit code from the failure count when the process exits: have the last word.
  setImmediate(() => process.on('exit', () => (process.exitCode = Math.max(Number(process.exitCode) || 0, 1))))
}
