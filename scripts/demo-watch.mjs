// The last part of `npm run demo`: a short `dispatch watch --once` loop on the
// demo's fake forge. An issue gets the label; one pass starts its worker (the
// stand-in commits); the demo pushes the branch and opens the pull request
// through the forge's API (POST /pulls), as a worker with landing: pr would, and
// CI fails on it; the next pass resumes the worker's Claude session with the
// failed check's output (a round); the fix is pushed and CI passes; a pass sees
// the green pull request waiting for review; the forge merges it onto main and
// closes the issue; the last pass sees the merge and reaps the worktree. Each pass runs piped, so it prints its transitions as
// plain lines and a tally (a terminal would get the live board).
import {existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'

const OWNER = 'acme'
const REPO = 'demo'
const ISSUE = 3
const LABEL = 'dispatch'

/**
 * @param d {forge, run, say, git, tmp, origin, config, env} from scripts/demo.mjs (origin: the bare repository pushed to):
 *   run(args, stdio) runs dispatch with `env` and resolves {code, stdout}; config is the demo's config object.
 */
export async function demoWatch(d) {
  const {forge, run, say, git, tmp} = d
  // The forge sees what is pushed there: a pull request's head follows its branch.
  forge.attachGit(OWNER, REPO, d.origin)
  // The stand-in writes down how each run was started and what it read on stdin.
  const seen = path.join(tmp, 'stand-in-runs')
  mkdirSync(seen)
  d.env.STANDIN_RECORD_DIR = seen
  // The loop is made for landing: pr (with none, a branch with commits counts as landed).
  const config = path.join(tmp, 'dispatch-watch.json')
  writeFileSync(config, JSON.stringify({...d.config, landing: 'pr', watch: {sources: [{repo: `${OWNER}/${REPO}`, label: LABEL}], maxActive: 2}}, null, 2))
  const pass = async (what) => {
    say(what)
    process.stdout.write(`$ dispatch watch --once\n`)
    const before = forge.requests.length
    const out = await run(['watch', '--once', '--config', config], ['ignore', 'pipe', 'inherit'])
    process.stdout.write(out.stdout)
    process.stdout.write(`(${forge.requests.length - before} requests to the forge)\n`)
    if (out.code !== 0) throw new Error(`dispatch watch --once exited ${out.code}`)
    return out.stdout
  }

  forge.addIssue({owner: OWNER, repo: REPO, number: ISSUE, title: 'Mention the watch loop in the note', body: 'Add a line about dispatch watch.', labels: [LABEL]})
  let out = await pass(`The loop: ${OWNER}/${REPO}#${ISSUE} gets the label "${LABEL}"; one pass starts its worker`)
  if (!/started/.test(out)) throw new Error('the pass started no worker')

  const worktree = await finished(d, config, tmp)
  const branch = git(worktree, 'rev-parse', '--abbrev-ref', 'HEAD')
  let head = git(worktree, 'rev-parse', 'HEAD')

  say(`The worker committed on ${branch}; push it and open its pull request, as a worker does; CI fails on it`)
  git(worktree, 'push', '-q', 'origin', branch)
  const pull = await openPull(forge, branch)
  forge.addCheckRun({owner: OWNER, repo: REPO, sha: head, name: 'test', conclusion: 'failure', output: {title: '1 test failed', summary: 'note.test.js: 1 of 4 failed', text: 'expected DISPATCH_DEMO.md to mention "dispatch watch"'}})
  out = await pass('The next pass follows the finished run to its pull request, and resumes its session with the failed check')
  if (!/resumed \(checks/.test(out)) throw new Error('the pass did not resume the session for the failed check')
  const resumed = newest(seen)
  const at = resumed.argv.indexOf('--resume')
  process.stdout.write(`The resumed run: claude ${resumed.argv.slice(0, at + 2).join(' ')} …; on stdin:\n`)
  process.stdout.write(resumed.stdin.split('\n').filter((l) => l.trim()).slice(0, 11).map((l) => `  | ${l.length > 110 ? `${l.slice(0, 109)}…` : l}`).join('\n') + '\n')

  await finished(d, config, tmp)
  head = git(worktree, 'rev-parse', 'HEAD')
  say('The resumed session committed a fix; push it: CI passes')
  process.stdout.write(`$ git log --oneline main..${branch}\n${git(worktree, 'log', '--oneline', `main..${branch}`)}\n`)
  git(worktree, 'push', '-q', 'origin', branch)
  forge.serveChecks({owner: OWNER, repo: REPO, sha: head})
  forge.addCheckRun({owner: OWNER, repo: REPO, sha: head, name: 'test', conclusion: 'success'})
  out = await pass('A pass sees the pull request green, waiting for review')
  if (!new RegExp(`PR #${pull} open, checks success`).test(out)) throw new Error('the pass did not see the green pull request')
  // Its runs are one row: the second run (×2), attempt 1 of feedback round 1 (a1/r1).
  process.stdout.write('$ dispatch status\n')
  await run(['status', '--config', config], 'inherit')

  say(`A maintainer merges #${pull} onto main; the issue closes, as a merge with "closes #${ISSUE}" does`)
  forge.mergePull({owner: OWNER, repo: REPO, number: pull, land: true})
  forge.closeIssue({owner: OWNER, repo: REPO, number: ISSUE})
  out = await pass('The last pass sees the merge and reaps the worktree')
  if (!/merged/.test(out) || existsSync(worktree)) throw new Error('the last pass did not reap the merged worktree')
}

/** Open the branch's pull request as a worker does (`gh pr create`: POST /repos/{o}/{r}/pulls); resolves with its number. */
async function openPull(forge, branch) {
  const res = await fetch(`${forge.github.apiUrl}/repos/${OWNER}/${REPO}/pulls`, {
    method: 'POST',
    headers: {'content-type': 'application/json', accept: 'application/vnd.github+json'},
    body: JSON.stringify({title: 'Mention the watch loop', head: branch, base: 'main', body: `Closes #${ISSUE}`}),
  })
  const body = await res.json()
  if (res.status !== 201) throw new Error(`POST /pulls answered ${res.status}: ${JSON.stringify(body)}`)
  process.stdout.write(`POST /repos/${OWNER}/${REPO}/pulls {head: ${branch}, base: main} (what gh pr create sends): #${body.number}\n`)
  return body.number
}

/** Wait for the issue's last run to end (the stand-in commits and exits); resolves with its worktree. */
async function finished(d, config, tmp) {
  const deadline = Date.now() + 30_000
  for (;;) {
    const s = await d.run(['status', `${OWNER}/${REPO}#${ISSUE}`, '--json', '--config', config], ['ignore', 'pipe', 'ignore'])
    if (s.code === 0 && JSON.parse(s.stdout).state !== 'running') break
    if (Date.now() > deadline) throw new Error('the watched worker did not finish in time')
    await delay(200)
  }
  const worktrees = path.join(tmp, 'worktrees', OWNER, REPO)
  const name = readdirSync(worktrees).find((n) => n.startsWith(`issue-${ISSUE}-`))
  if (!name) throw new Error(`no worktree for issue ${ISSUE} under ${worktrees}`)
  return path.join(worktrees, name)
}

/** The stand-in's record of its latest run: {argv, stdin, …}. */
function newest(dir) {
  const files = readdirSync(dir).map((f) => path.join(dir, f)).sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs)
  return JSON.parse(readFileSync(files.at(-1), 'utf8'))
}
