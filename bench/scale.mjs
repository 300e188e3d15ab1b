// The scale cases of `npm run bench` (issue #21): what a dispatch costs as a
// repository keeps more worktrees, reap over 100 worktrees, a fan-out of 5
// against 50, and a dispatch against the shell alias people write instead
// (bench/alias.sh). Ratios within one run; peak RSS of each dispatch case.
//
//   BENCH_SCALE_RUNS=5   timed runs per case (the fan-outs: BENCH_FANOUT_RUNS, default 3)
//   BENCH_KEPT=100       kept worktrees for the headless and reap cases
import {execFileSync, spawn} from 'node:child_process'
import {existsSync, mkdirSync, utimesSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const RUNS = Number(process.env.BENCH_SCALE_RUNS || 5)
const FANOUT_RUNS = Number(process.env.BENCH_FANOUT_RUNS || 3)
const KEPT = Number(process.env.BENCH_KEPT || 100)

function git(cwd, ...args) {
  execFileSync('git', args, {cwd, stdio: 'ignore', env: {...process.env, GIT_AUTHOR_NAME: 'B', GIT_AUTHOR_EMAIL: 'b@x.invalid', GIT_COMMITTER_NAME: 'B', GIT_COMMITTER_EMAIL: 'b@x.invalid'}})
}

/** Run a program once; resolve with wall time in ms (exit 0 or 1 accepted: the case is timed, not judged). */
function timeCmd(cmd, args, env, cwd) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint()
    const child = spawn(cmd, args, {env, cwd, stdio: ['ignore', 'ignore', 'pipe']})
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr}`))
      else resolve(ms)
    })
  })
}

/** A checkout `workspace/acme/<repo>` with a bare origin named like the repository. */
function checkoutFor(tmp, repo) {
  const checkout = path.join(tmp, 'workspace', 'acme', repo)
  const bare = path.join(tmp, 'remotes', 'acme', `${repo}.git`)
  mkdirSync(checkout, {recursive: true})
  mkdirSync(path.dirname(bare), {recursive: true})
  git(tmp, 'init', '-q', '--bare', '-b', 'main', bare)
  git(checkout, 'init', '-q', '-b', 'main')
  writeFileSync(path.join(checkout, 'README.md'), `# ${repo}\n`)
  git(checkout, 'add', '.')
  git(checkout, 'commit', '-q', '-m', 'init')
  git(checkout, 'remote', 'add', 'origin', bare)
  git(checkout, 'push', '-q', '-u', 'origin', 'main')
  git(checkout, 'remote', 'set-head', 'origin', 'main')
  return checkout
}

/**
 * `n` worktrees dispatch could have left, made ten minutes ago (older than
 * the sweep's grace period): nine in ten with no commits (reap keeps them),
 * one in ten with unmerged work: all kept, so every round sees the same ones.
 */
function keptWorktrees(root, checkout, repo, n) {
  const old = new Date(Date.now() - 600_000)
  for (let i = 0; i < n; i++) {
    const name = `issue-${5000 + i}-kept`
    const dir = path.join(root, 'acme', repo, name)
    git(checkout, 'worktree', 'add', '-q', '--no-track', '-b', `dispatch/${name}`, dir, 'origin/main')
    if (i % 10 === 1) git(dir, 'commit', '-q', '--allow-empty', '-m', `work ${i}`)
    utimesSync(path.join(dir, '.git'), old, old)
  }
}

/**
 * Set up, measure and report the scale cases. `ctx` comes from bench/run.mjs:
 * tmp, bin, env, forge, standIn, median, fmt, rssOnce.
 */
export async function benchScale(ctx) {
  const {tmp, bin, env, forge, standIn, median, fmt, rssOnce} = ctx
  const root = path.join(tmp, 'scale-worktrees')
  const checkouts = Object.fromEntries(['zero', 'kept', 'fan', 'alias'].map((r) => [r, checkoutFor(tmp, r)]))
  process.stderr.write(`scale: making ${KEPT} kept worktrees…\n`)
  keptWorktrees(root, checkouts.kept, 'kept', KEPT)
  const reapRoot = path.join(tmp, 'reap-worktrees')
  const reapCheckout = checkoutFor(tmp, 'reaped')
  keptWorktrees(reapRoot, reapCheckout, 'reaped', KEPT)
  for (const repo of ['zero', 'kept', 'fan', 'alias']) for (let n = 1; n <= 400; n++) forge.addIssue({owner: 'acme', repo, number: n, title: `Scale task ${n}`, body: 'Benchmark issue.'})
  const config = (name, worktreeRoot) => {
    const file = path.join(tmp, `${name}.yaml`)
    writeFileSync(file, [
      'allowedOwners: [acme]',
      `workspace: {root: ${path.join(tmp, 'workspace')}}`,
      `worktreeRoot: ${worktreeRoot}`,
      `stateDir: ${path.join(tmp, `state-${name}`)}`,
      'maxActive: 1000',
      'healthWindowMs: 4000',
      `github: {apiUrl: ${forge.github.apiUrl}, webUrl: ${forge.github.webUrl}}`,
      `claude: {bin: ${standIn}, permissionMode: acceptEdits}`,
    ].join('\n') + '\n')
    return file
  }
  const dispatchConfig = config('scale', root)
  const reapConfig = config('reap', reapRoot)
  let issue = 0
  const next = () => ++issue

  const cases = [
    ['node -e 0', () => timeCmd(process.execPath, ['-e', '0'], env, tmp)],
    ['alias (curl, worktree add, claude -p &)', () => {
      const n = next()
      return timeCmd('sh', [path.join(here, 'alias.sh'), forge.github.apiUrl, 'acme', 'alias', String(n), checkouts.alias, path.join(tmp, 'alias-worktrees', `issue-${n}`), standIn], env, tmp)
    }],
    ['headless, 0 kept worktrees', () => timeCmd(process.execPath, [bin, 'headless', `acme/zero#${next()}`, '--config', dispatchConfig], env, tmp)],
    [`headless, ${KEPT} kept worktrees`, () => timeCmd(process.execPath, [bin, 'headless', `acme/kept#${next()}`, '--config', dispatchConfig], env, tmp)],
    [`reap --dry-run, ${KEPT} worktrees`, () => timeCmd(process.execPath, [bin, 'reap', '--dry-run', '--json', '--config', reapConfig], env, tmp)],
  ]
  mkdirSync(path.join(tmp, 'alias-worktrees'), {recursive: true})
  const times = Object.fromEntries(cases.map(([name]) => [name, []]))
  for (let round = 0; round < RUNS; round++) {
    process.stderr.write(`\rscale round ${round + 1}/${RUNS}`)
    for (const [name, run] of cases) times[name].push(await run())
  }
  process.stderr.write('\n')
  const fan = {5: [], 50: []}
  for (let round = 0; round < FANOUT_RUNS; round++) {
    process.stderr.write(`\rfan-out round ${round + 1}/${FANOUT_RUNS}`)
    for (const size of [5, 50]) {
      const refs = Array.from({length: size}, () => `acme/fan#${next()}`)
      fan[size].push(await timeCmd(process.execPath, [bin, 'headless', ...refs, '--config', dispatchConfig], env, tmp))
    }
  }
  process.stderr.write('\n')
  const rss = {
    [`headless, ${KEPT} kept worktrees`]: await rssOnce([bin, 'headless', `acme/kept#${next()}`, '--config', dispatchConfig], env),
    [`reap --dry-run, ${KEPT} worktrees`]: await rssOnce([bin, 'reap', '--dry-run', '--json', '--config', reapConfig], env),
    'fan-out of 50': await rssOnce([bin, 'headless', ...Array.from({length: 50}, () => `acme/fan#${next()}`), '--config', dispatchConfig], env),
  }

  // The last dispatches' background sweeps finish before the bench removes what they sweep.
  const sweepLock = path.join(tmp, 'state-scale', 'locks', 'sweep-acme+kept.lock')
  for (const until = Date.now() + 120_000; existsSync(sweepLock) && Date.now() < until; ) await new Promise((r) => setTimeout(r, 100))

  const m = (name) => median(times[name])
  const base = m('node -e 0')
  const rows = []
  let met = true
  const row = (name, med, ratioText, target, ok) => {
    if (ok === false) met = false
    rows.push(`| ${name} | ${fmt(med)} | ${ratioText} | ${target} | ${ok === undefined ? '' : ok ? 'yes' : 'NO'} |`)
  }
  row('node -e 0', base, '1.00× node', '', undefined)
  row('alias (curl, worktree add, claude -p &)', m(cases[1][0]), `${(m(cases[1][0]) / base).toFixed(2)}× node`, '', undefined)
  const h0 = m(cases[2][0])
  const hk = m(cases[3][0])
  const alias = m(cases[1][0])
  row(cases[2][0], h0, `${(h0 / alias).toFixed(2)}× alias`, '≤ 5× alias', h0 / alias <= 5)
  row(cases[3][0], hk, `${(hk / h0).toFixed(2)}× 0 kept`, '≤ 1.2× 0 kept', hk / h0 <= 1.2)
  const r = m(cases[4][0])
  row(cases[4][0], r, `${(r / base).toFixed(2)}× node`, '≤ 20× node', r / base <= 20)
  const f5 = median(fan[5])
  const f50 = median(fan[50])
  row('fan-out of 5', f5, '', '', undefined)
  row('fan-out of 50', f50, `${(f50 / f5).toFixed(2)}× 5`, '≤ 2× 5', f50 / f5 <= 2)
  const mem = Object.entries(rss).map(([name, mib]) => {
    if (mib > 120) met = false
    return `| ${name} | ${mib.toFixed(0)} | ≤ 120 | ${mib <= 120 ? 'yes' : 'NO'} |`
  })
  const lines = [
    '',
    `Scale (${RUNS} runs, fan-outs ${FANOUT_RUNS}; medians):`,
    '',
    '| case | median | ratio | target | met |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    '| peak RSS | MiB | target | met |',
    '|---|---|---|---|',
    ...mem,
  ]
  return {lines, met}
}
