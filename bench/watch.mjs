// The dispatch watch case of `npm run bench` (issue #22): one `watch --once`
// pass over one source with 200 open labelled issues, 50 of them with a live
// watched worker (watch.maxActive 50, so the pass starts nothing and the other
// issues wait for a slot), and ENDED of them with a run that completed and an
// open, green pull request waiting for review (what a pass asks the forge
// about). Counts the requests the pass made to the fake forge against the
// issue's target, sources + ended workers × 3, and times the pass.
//
// The live workers are `sleep` processes behind records a watch would have
// written (watched, a fresh log), so the pass sees them running and not
// stalled, as it would see held stand-ins, without 50 node processes.
//
//   BENCH_WATCH_RUNS=3   timed passes
//   BENCH_WATCH_ENDED=10 runs that ended with an open pull request
import {execFileSync, spawn} from 'node:child_process'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

const RUNS = Number(process.env.BENCH_WATCH_RUNS || 3)
const ENDED = Number(process.env.BENCH_WATCH_ENDED || 10)
const ISSUES = 200
const ACTIVE = 50
const OWNER = 'acme'
const REPO = 'watch'
const LABEL = 'bench'

function startTime(pid) {
  if (process.platform !== 'linux') return null
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
}

/** One pass; resolves with its wall time (ms), its exit code and stdout. */
function pass(bin, config, env, cwd) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint()
    const child = spawn(process.execPath, [bin, 'watch', '--once', '--json', '--config', config], {env, cwd, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6
      if (code !== 0) reject(new Error(`dispatch watch --once exited ${code}: ${stderr}`))
      else resolve({ms, stdout})
    })
  })
}

/**
 * The loop's second pass: `dispatch watch` (not --once) until its second `pass`
 * event, then SIGTERM. Resolves with the requests of each pass.
 */
function loopPasses(bin, config, env, cwd, forge) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'watch', '--json', '--interval', '1s', '--config', config], {env, cwd, stdio: ['ignore', 'pipe', 'pipe']})
    const marks = [forge.requests.length]
    let buffered = ''
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    child.stdout.on('data', (d) => {
      buffered += d
      let nl
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl)
        buffered = buffered.slice(nl + 1)
        if (JSON.parse(line).event !== 'pass') continue
        marks.push(forge.requests.length)
        if (marks.length === 3) child.kill('SIGTERM')
      }
    })
    child.on('error', reject)
    child.on('close', (code) => {
      if (marks.length < 3) return reject(new Error(`dispatch watch ended (${code}) before its second pass: ${stderr}`))
      resolve([forge.requests.slice(marks[0], marks[1]), forge.requests.slice(marks[1], marks[2])])
    })
  })
}

/**
 * @param b {tmp, bin, env, forge, median, fmt, rssOnce, sleepers} from bench/run.mjs;
 *   sleepers collects the processes run.mjs kills at the end.
 */
export async function benchWatch(b) {
  const {tmp, bin, env, forge, median, fmt} = b
  const root = path.join(tmp, 'watch')
  const stateDir = path.join(root, 'state')
  const records = path.join(stateDir, 'sidequests')
  const logs = path.join(stateDir, 'logs')
  mkdirSync(records, {recursive: true, mode: 0o700})
  mkdirSync(logs, {recursive: true, mode: 0o700})
  const checkout = path.join(root, 'checkout')
  mkdirSync(checkout, {recursive: true})
  execFileSync('git', ['init', '-q', '-b', 'main', checkout])

  for (let n = 1; n <= ISSUES; n++) forge.addIssue({owner: OWNER, repo: REPO, number: n, title: `Watch task ${n}`, body: 'Benchmark issue.', labels: [LABEL]})
  forge.servePulls({owner: OWNER, repo: REPO})
  const now = Date.now()
  const record = (n, fields) => ({
    schema_version: 2, mode: 'headless', ref: `${OWNER}/${REPO}#${n}`, forge: 'github', repo: `${OWNER}/${REPO}`, checkout, runner: 'local',
    url: `${forge.github.webUrl}/${OWNER}/${REPO}/issues/${n}`, title: `Watch task ${n}`, parent_session: null, paths_claimed: [],
    cwd: path.join(root, 'wt', `issue-${n}`), branch: `dispatch/issue-${n}-watch-task-${n}`, cascade_depth: 0, claude_session_id: `session-${n}`,
    watched: true, attempt: 1, round: 0, continues: null, continuation: null, ...fields,
  })
  // The oldest issues have workers: the live ones first, then the ended ones.
  for (let n = 1; n <= ACTIVE; n++) {
    const s = spawn('sleep', ['3600'], {stdio: 'ignore', detached: true})
    b.sleepers.push(s)
    const log = path.join(logs, `issue-${n}.log`)
    writeFileSync(log, '{"type":"system","subtype":"init","session_id":"session-' + n + '"}\n', {mode: 0o600})
    writeFileSync(path.join(records, `${s.pid}.json`), JSON.stringify(record(n, {pid: s.pid, pid_start_time: startTime(s.pid), started_at: new Date(now - 60_000).toISOString(), log_path: log})), {mode: 0o600})
  }
  for (let n = ACTIVE + 1; n <= ACTIVE + ENDED; n++) {
    const pid = 3_900_000 + n
    const log = path.join(logs, `issue-${n}.log`)
    writeFileSync(log, '{"type":"result","subtype":"success","is_error":false,"result":"Done: pull request opened.","total_cost_usd":0.05}\n', {mode: 0o600})
    const r = record(n, {pid, pid_start_time: null, started_at: new Date(now - 600_000).toISOString(), ended_at: new Date(now - 300_000).toISOString(), exit_code: 0, cost_usd: 0.05, num_turns: 5, log_path: log})
    writeFileSync(path.join(records, `${pid}.json`), JSON.stringify(r), {mode: 0o600})
    const sha = n.toString(16).padStart(40, 'a')
    forge.addPull({owner: OWNER, repo: REPO, number: 1000 + n, branch: r.branch, headSha: sha, title: `Watch task ${n}`})
    forge.addCheckRun({owner: OWNER, repo: REPO, sha, name: 'test', conclusion: 'success'})
  }
  const config = path.join(root, 'config.yaml')
  writeFileSync(config, [
    `allowedOwners: [${OWNER}]`,
    `workspace: {root: ${root}}`,
    `worktreeRoot: ${path.join(root, 'wt')}`,
    `stateDir: ${stateDir}`,
    'maxActive: 500',
    `github: {apiUrl: ${forge.github.apiUrl}, webUrl: ${forge.github.webUrl}}`,
    `watch: {sources: [{repo: ${OWNER}/${REPO}, label: ${LABEL}}], maxActive: ${ACTIVE}}`,
  ].join('\n') + '\n')

  const times = []
  let counts
  let events
  for (let i = 0; i < RUNS; i++) {
    process.stderr.write(`\rwatch pass ${i + 1}/${RUNS}`)
    const before = forge.requests.length
    const {ms, stdout} = await pass(bin, config, env, root)
    times.push(ms)
    const made = forge.requests.slice(before)
    // Every pass asks the same (a --once pass starts with an empty ETag cache).
    counts = {total: made.length, listing: made.filter((r) => r.method === 'GET' && r.path === `/gh-api/repos/${OWNER}/${REPO}/issues`).length}
    events = stdout.trim().split('\n').map((l) => JSON.parse(l))
  }
  process.stderr.write('\n')
  const tally = events.find((e) => e.event === 'pass')
  const waiting = events.filter((e) => e.event === 'waiting').length
  const target = 1 + ENDED * 3
  const met = counts.total <= target
  const [, second] = await loopPasses(bin, config, env, root, forge)
  const notModified = second.filter((r) => r.status === 304).length
  const rss = b.rssOnce ? await b.rssOnce([bin, 'watch', '--once', '--config', config], env) : undefined
  const lines = [
    '',
    `dispatch watch (${RUNS} passes; median):`,
    '',
    '| case | median | requests | target | met |',
    '|---|---|---|---|---|',
    `| watch --once: ${ISSUES} labelled, ${ACTIVE} running, ${ENDED} ended with a pull request | ${fmt(median(times))} | ${counts.total} (listing ${counts.listing}, ended runs ${counts.total - counts.listing}) | ≤ ${target} (1 source + ${ENDED} × 3) | ${met ? 'yes' : 'NO'} |`,
    `| the same, a running loop's second pass | | ${second.length} (${notModified} answered 304) | | |`,
    '',
    `The pass: ${tally.listed} listed, ${tally.running} running, ${tally.waiting} waiting (${waiting} waiting events), ${tally.started} started${rss === undefined ? '' : `; peak RSS ${rss.toFixed(0)} MiB (≤ 120: ${rss <= 120 ? 'yes' : 'NO'})`}.`,
  ]
  return {lines, met: met && (rss === undefined || rss <= 120)}
}
