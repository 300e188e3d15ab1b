#!/usr/bin/env node
// `npm run bench`: start-up and scale measurements for dispatch, as ratios to
// `node -e 0` measured in the same rounds (this machine's node start-up varies
// with its environment; a ratio does not). Commands are alternated round by
// round so drift hits every case alike. Loopback only; everything lives in a
// temp directory that is removed at the end.
//
//   BENCH_RUNS=15        timed runs per case (default 15)
//   BENCH_SIZES=0,100,1000,10000   registry sizes for the scale cases
//   BENCH_SLURM=0        skip the Slurm cases (bench/slurm.mjs), which start a one-node cluster
//   BENCH_SCALE=0        skip the scale cases (bench/scale.mjs: kept worktrees, reap, fan-out, the alias)
//   BENCH_WATCH=0        skip the dispatch watch case (bench/watch.mjs: one pass over 200 issues)
//   BENCH_ONLY=scale     run only the scale cases (BENCH_ONLY=watch: only the watch case)
//   BENCH_SETUP_ONLY=1   set up the fake forge and checkout, print the config, and
//                        wait for Ctrl-C (for profiling one command by hand)
import {execFileSync, spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {startFakeForge} from '../test/support/fake-forge.mjs'
import {benchScale} from './scale.mjs'
import {benchSlurm} from './slurm.mjs'
import {benchWatch} from './watch.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const bin = path.join(root, 'bin', 'run.js')
const standIn = path.join(root, 'test', 'support', 'stand-in-claude.mjs')
const RUNS = Number(process.env.BENCH_RUNS || 15)
const SIZES = (process.env.BENCH_SIZES || '0,100,1000,10000').split(',').map(Number)
const tmp = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'dispatch-bench-')))
const sleepers = []

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const fmt = (ms) => `${ms.toFixed(0)} ms`

/** Run once; resolve with wall time in ms. NOTE: async spawn: the fake forge answers from this process. */
function timeOnce(args, env, cwd = tmp) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint()
    const child = spawn(process.execPath, args, {env, cwd, stdio: ['ignore', 'ignore', 'pipe']})
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6
      if (code !== 0 && code !== 1) reject(new Error(`${args.join(' ')} exited ${code}: ${stderr}`))
      else resolve(ms)
    })
  })
}

/** Peak RSS (MiB) of one run, recorded by the process itself via the preload. */
async function rssOnce(args, env) {
  const file = path.join(tmp, `rss-${Math.random().toString(36).slice(2)}`)
  await timeOnce(['--require', path.join(root, 'bench', 'rss.cjs'), ...args], {...env, BENCH_RSS_FILE: file})
  const values = readFileSync(file, 'utf8').trim().split('\n').map(Number)
  return Math.max(...values) / 1024
}

function baseEnv(extra = {}) {
  return {
    PATH: process.env.PATH,
    HOME: path.join(tmp, 'home'),
    XDG_CONFIG_HOME: path.join(tmp, 'xdg-config'),
    XDG_STATE_HOME: path.join(tmp, 'xdg-state'),
    XDG_DATA_HOME: path.join(tmp, 'xdg-data'),
    CLAUDE_CONFIG_DIR: path.join(tmp, 'claude'),
    OCLIF_SKIP_NEW_VERSION_CHECK: 'true',
    NO_COLOR: '1',
    ...(process.env.NODE_EXTRA_CA_CERTS ? {NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS} : {}),
    ...extra,
  }
}

function yamlConfig(file, lines) {
  writeFileSync(file, lines.join('\n') + '\n')
  return file
}

/** A registry of n current (schema 2) records, 1 in 10 alive (real sleeping processes), each claiming one path of the checkout's repository. */
function makeRegistry(n, checkout) {
  const stateDir = path.join(tmp, `state-${n}`)
  const dir = path.join(stateDir, 'sidequests')
  mkdirSync(dir, {recursive: true, mode: 0o700})
  const startTime = (pid) => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  }
  for (let i = 0; i < n; i++) {
    const alive = i % 10 === 0
    let pid = 3_000_000 + i
    let start = null
    if (alive) {
      const s = spawn('sleep', ['3600'], {stdio: 'ignore', detached: true})
      sleepers.push(s)
      pid = s.pid
      start = process.platform === 'linux' ? startTime(pid) : null
    }
    const record = {
      schema_version: 2, pid, pid_start_time: start, mode: 'headless', ref: `acme/api#${i + 1}`, forge: 'github', repo: 'acme/api', checkout, runner: 'local',
      url: `https://github.com/acme/api/issues/${i + 1}`, title: `Task ${i + 1}`, started_at: new Date(Date.now() - (n - i) * 1000).toISOString(),
      parent_session: null, paths_claimed: [`src/module-${i}`], cwd: `/wt/acme/api/issue-${i + 1}`, branch: `dispatch/issue-${i + 1}`,
      log_path: null, cascade_depth: 0, claude_session_id: null,
      ...(alive ? {} : {ended_at: new Date().toISOString(), exit_code: 0, cost_usd: 0.01, num_turns: 3}),
    }
    writeFileSync(path.join(dir, `${pid}.json`), JSON.stringify(record, null, 2), {mode: 0o600})
  }
  return yamlConfig(path.join(tmp, `config-${n}.yaml`), ['allowedOwners: [acme]', `stateDir: ${stateDir}`, `worktreeRoot: ${path.join(tmp, 'wt')}`])
}

/** Can bubblewrap make a sandbox here (installed, user namespaces allowed)? */
function bwrapWorks() {
  try {
    execFileSync('bwrap', ['--unshare-all', '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', '--', 'true'], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

function git(cwd, ...args) {
  execFileSync('git', args, {cwd, stdio: 'ignore', env: {...process.env, GIT_AUTHOR_NAME: 'B', GIT_AUTHOR_EMAIL: 'b@x.invalid', GIT_COMMITTER_NAME: 'B', GIT_COMMITTER_EMAIL: 'b@x.invalid'}})
}

async function main() {
  process.stderr.write(`dispatch bench: ${RUNS} runs per case, registry sizes ${SIZES.join(', ')} (node ${process.version}, ${os.cpus().length} cores)\n`)
  const forge = await startFakeForge()
  try {
    // A checkout with a bare origin, and issues for the dispatch cases.
    const checkout = path.join(tmp, 'workspace', 'acme', 'api')
    mkdirSync(checkout, {recursive: true})
    git(tmp, 'init', '-q', '--bare', '-b', 'main', path.join(tmp, 'origin.git'))
    git(checkout, 'init', '-q', '-b', 'main')
    writeFileSync(path.join(checkout, 'README.md'), '# api\n')
    git(checkout, 'add', '.')
    git(checkout, 'commit', '-q', '-m', 'init')
    git(checkout, 'remote', 'add', 'origin', path.join(tmp, 'origin.git'))
    git(checkout, 'push', '-q', '-u', 'origin', 'main')
    git(checkout, 'remote', 'set-head', 'origin', 'main')
    // The origin must be named like the repository for the checkout check.
    execFileSync('mv', [path.join(tmp, 'origin.git'), path.join(tmp, 'api.git')])
    mkdirSync(path.join(tmp, 'remotes', 'acme'), {recursive: true})
    execFileSync('mv', [path.join(tmp, 'api.git'), path.join(tmp, 'remotes', 'acme', 'api.git')])
    git(checkout, 'remote', 'set-url', 'origin', path.join(tmp, 'remotes', 'acme', 'api.git'))
    for (let n = 1; n <= 200; n++) forge.addIssue({owner: 'acme', repo: 'api', number: n, title: `Bench task ${n}`, body: 'Benchmark issue.'})
    const dispatchConfigLines = [
      'allowedOwners: [acme]',
      `workspace: {root: ${path.join(tmp, 'workspace')}}`,
      `worktreeRoot: ${path.join(tmp, 'worktrees')}`,
      `stateDir: ${path.join(tmp, 'state-dispatch')}`,
      'maxActive: 500',
      'healthWindowMs: 4000',
      `github: {apiUrl: ${forge.github.apiUrl}, webUrl: ${forge.github.webUrl}}`,
      `claude: {bin: ${standIn}, permissionMode: acceptEdits}`,
    ]
    const dispatchConfig = yamlConfig(path.join(tmp, 'dispatch.yaml'), dispatchConfigLines)

    if (process.env.BENCH_SETUP_ONLY) {
      process.stdout.write(`config: ${dispatchConfig}\nenv: HOME=${path.join(tmp, 'home')}\nPress Ctrl-C to stop.\n`)
      await new Promise((resolve) => process.once('SIGINT', resolve))
      return
    }
    const runScale = () => benchScale({tmp, bin, env: baseEnv(), forge, standIn, median, fmt, rssOnce})
    const runWatch = () => benchWatch({tmp, bin, env: baseEnv(), forge, median, fmt, rssOnce, sleepers})
    if (process.env.BENCH_ONLY === 'scale' || process.env.BENCH_ONLY === 'watch') {
      const only = await (process.env.BENCH_ONLY === 'scale' ? runScale() : runWatch())
      process.stdout.write([...only.lines, '', only.met ? 'All targets met.' : 'Some targets are NOT met (see above).', ''].join('\n'))
      return
    }
    process.stderr.write('building registries…\n')
    const configs = Object.fromEntries(SIZES.map((n) => [n, makeRegistry(n, checkout)]))
    const env = baseEnv()

    /** name → args; measured in alternating rounds. */
    const cases = [
      ['node -e 0', ['-e', '0']],
      ['dispatch --version', [bin, '--version']],
      ['dispatch --help', [bin, '--help']],
      ...SIZES.flatMap((n) => [
        [`sidequests conflicts (${n} records)`, [bin, 'sidequests', 'conflicts', path.join(checkout, 'src', 'module-10', 'file.ts'), '--config', configs[n]]],
        [`sidequests list --json (${n} records)`, [bin, 'sidequests', 'list', '--json', '--config', configs[n]]],
      ]),
      ['headless --dry-run', [bin, 'headless', 'acme/api#1', '--dry-run', '--config', dispatchConfig]],
    ]
    const times = Object.fromEntries(cases.map(([name]) => [name, []]))
    for (let round = 0; round < RUNS; round++) {
      process.stderr.write(`\rround ${round + 1}/${RUNS}`)
      for (const [name, args] of cases) times[name].push(await timeOnce(args, env))
    }
    process.stderr.write('\n')

    // Headless dispatches with the stand-in: total time, and time after its first reply;
    // alternated with the same dispatch in the bubblewrap sandbox (issue #20), whose stand-in
    // writes its times into the one directory the sandbox lets it (allowWrite).
    const timesDir = path.join(tmp, 'times')
    mkdirSync(timesDir)
    const timesFile = path.join(timesDir, 'stand-in-times')
    const sandboxConfig = bwrapWorks() ? yamlConfig(path.join(tmp, 'dispatch-sandboxed.yaml'), [...dispatchConfigLines, `sandbox: {kind: bubblewrap, allowWrite: [${timesDir}]}`]) : undefined
    const headless = []
    const sandboxed = []
    const afterReply = []
    const standInStart = []
    for (let i = 0; i < Math.max(5, Math.ceil(RUNS / 2)); i++) {
      const start = Date.now()
      const ms = await timeOnce([bin, 'headless', `acme/api#${10 + i}`, '--config', dispatchConfig], {...env, STANDIN_TIMES_FILE: timesFile})
      const end = start + ms
      const replies = readFileSync(timesFile, 'utf8').trim().split('\n')
      const replyAt = Number(replies[replies.length - 1].split(' ')[2])
      headless.push(ms)
      afterReply.push(end - replyAt)
      standInStart.push(await timeOnce([standIn, '--version'], env))
      if (sandboxConfig) sandboxed.push(await timeOnce([bin, 'headless', `acme/api#${100 + i}`, '--config', sandboxConfig], {...env, STANDIN_TIMES_FILE: timesFile}))
    }

    // Peak memory.
    const rss = {
      'dispatch --version': await rssOnce([bin, '--version'], env),
      [`sidequests list --json (${SIZES[SIZES.length - 1]} records)`]: await rssOnce([bin, 'sidequests', 'list', '--json', '--all', '--config', configs[SIZES[SIZES.length - 1]]], env),
      [`sidequests conflicts (${SIZES[SIZES.length - 1]} records)`]: await rssOnce([bin, 'sidequests', 'conflicts', path.join(checkout, 'src', 'module-10'), '--config', configs[SIZES[SIZES.length - 1]]], env),
      'headless --dry-run': await rssOnce([bin, 'headless', 'acme/api#2', '--dry-run', '--config', dispatchConfig], env),
      'headless dispatch': await rssOnce([bin, 'headless', 'acme/api#3', '--config', dispatchConfig], env),
    }

    // Slurm (issue #14): its own cluster, started and stopped in there.
    const slurm = process.env.BENCH_SLURM === '0'
      ? {lines: ['', 'Slurm cases skipped: BENCH_SLURM=0.'], met: true}
      : await benchSlurm({tmp, bin, runs: RUNS, env, dispatchConfigLines, localConfig: configs[1000] ?? makeRegistry(1000, checkout), median, fmt})

    // Report.
    const base = median(times['node -e 0'])
    const target = (name) => {
      if (name === 'dispatch --version') return 2.0
      if (name === 'headless --dry-run') return 4.0
      const m = /\((\d+) records\)/.exec(name)
      if (m && Number(m[1]) <= 1000) return Number(m[1]) === 1000 ? 2.2 : undefined
      if (m) return 3.0
      return undefined
    }
    const rows = []
    let allMet = true
    for (const [name] of cases) {
      const med = median(times[name])
      const ratio = med / base
      const t = target(name)
      const met = t === undefined ? '' : ratio <= t ? 'yes' : 'NO'
      if (met === 'NO') allMet = false
      rows.push([name, fmt(med), `${fmt(Math.min(...times[name]))}–${fmt(Math.max(...times[name]))}`, `${ratio.toFixed(2)}×`, t ? `≤ ${t}×` : '', met])
    }
    const overhead = median(afterReply)
    rows.push(['headless dispatch (total)', fmt(median(headless)), `${fmt(Math.min(...headless))}–${fmt(Math.max(...headless))}`, `${(median(headless) / base).toFixed(2)}×`, '', ''])
    rows.push(['  stand-in claude start-up', fmt(median(standInStart)), '', '', '', ''])
    rows.push(['  after the first reply', fmt(overhead), `${fmt(Math.min(...afterReply))}–${fmt(Math.max(...afterReply))}`, '', '≤ 1000 ms', overhead <= 1000 ? 'yes' : 'NO'])
    if (overhead > 1000) allMet = false
    if (sandboxConfig) {
      // Target: 100 ms on a machine whose node starts in about 50 ms, so as a ratio (the
      // bridge is one more node process): at most 2 node start-ups.
      const added = median(sandboxed) - median(headless)
      rows.push(['headless dispatch, sandboxed (total)', fmt(median(sandboxed)), `${fmt(Math.min(...sandboxed))}–${fmt(Math.max(...sandboxed))}`, `${(median(sandboxed) / base).toFixed(2)}×`, '', ''])
      rows.push(['  added by the sandbox', fmt(added), '', `${(added / base).toFixed(2)}×`, '≤ 2× (100 ms)', added <= 2 * base ? 'yes' : 'NO'])
      if (added > 2 * base) allMet = false
    } else {
      rows.push(['headless dispatch, sandboxed', 'skipped: bwrap cannot run here', '', '', '', ''])
    }

    const widths = rows[0].map((_, i) => Math.max(...[['case', 'median', 'min–max', 'ratio', 'target', 'met'], ...rows].map((r) => r[i].length)))
    const line = (r) => '| ' + r.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |'
    const out = [line(['case', 'median', 'min–max', 'ratio', 'target', 'met']), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.map(line)]

    // Scale: growth with registry size. Each step's extra time over the empty
    // registry, scaled by the size ratio, bounds the next step if growth is
    // linear or better; a step whose extra time is within start-up noise
    // (under NOISE_MS) counts as NOISE_MS.
    const NOISE_MS = 25
    const scale = ['', '| registry size | conflicts | list --json |', '|---|---|---|']
    for (const n of SIZES) scale.push(`| ${n} | ${fmt(median(times[`sidequests conflicts (${n} records)`]))} | ${fmt(median(times[`sidequests list --json (${n} records)`]))} |`)
    const sized = SIZES.filter((n) => n > 0)
    if (SIZES.includes(0) && sized.length >= 2) {
      const [small, large] = sized.slice(-2)
      for (const kind of ['conflicts', 'list --json']) {
        const at = (n) => median(times[`sidequests ${kind} (${n} records)`])
        const extraSmall = Math.max(NOISE_MS, at(small) - at(0))
        const extraLarge = at(large) - at(0)
        const bound = (large / small) * extraSmall * 1.5
        const linear = extraLarge <= bound
        if (!linear) allMet = false
        scale.push(`${kind}: ${fmt(extraLarge)} over an empty registry at ${large} records, ${fmt(at(small) - at(0))} at ${small}: ${linear ? 'linear or better' : 'WORSE than linear'} (bound ${fmt(bound)})`)
      }
    }

    const mem = ['', '| peak RSS | MiB | target | met |', '|---|---|---|---|']
    for (const [name, mib] of Object.entries(rss)) {
      if (mib > 120) allMet = false
      mem.push(`| ${name} | ${mib.toFixed(0)} | ≤ 120 | ${mib <= 120 ? 'yes' : 'NO'} |`)
    }
    const scaled = process.env.BENCH_SCALE === '0' ? {lines: ['', 'Scale cases skipped: BENCH_SCALE=0.'], met: true} : await runScale()
    const watched = process.env.BENCH_WATCH === '0' ? {lines: ['', 'dispatch watch case skipped: BENCH_WATCH=0.'], met: true} : await runWatch()
    if (!slurm.met || !scaled.met || !watched.met) allMet = false
    process.stdout.write([...out, ...scale, ...mem, ...slurm.lines, ...scaled.lines, ...watched.lines, '', allMet ? 'All targets met.' : 'Some targets are NOT met (see above).', ''].join('\n'))
  } finally {
    await forge.close()
    for (const s of sleepers) s.kill('SIGKILL')
    rmSync(tmp, {recursive: true, force: true, maxRetries: 5})
  }
}

main().catch((error) => {
  for (const s of sleepers) s.kill('SIGKILL')
  process.stderr.write(`bench failed: ${error.stack ?? error}\n`)
  process.exitCode = 1
})
