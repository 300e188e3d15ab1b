// The last part of `npm run demo`: a short `dispatch watch --once` loop on the
// demo's fake forge. An issue gets the label; one pass starts its worker (the
// stand-in commits); the demo pushes the branch and opens the pull request with
// a green check, as a worker with landing: pr would; the next pass finds it and
// waits for review; the demo merges it and closes the issue; the last pass sees
// the merge and reaps the worktree. Each pass runs piped, so it prints its
// transitions as plain lines and a tally (a terminal would get the live board).
import {existsSync, readdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'

const OWNER = 'acme'
const REPO = 'demo'
const ISSUE = 3
const PULL = 4
const LABEL = 'dispatch'

/**
 * @param d {forge, run, say, git, tmp, checkout, config} from scripts/demo.mjs:
 *   run(args, stdio) runs dispatch and resolves {code, stdout}; config is the demo's config object.
 */
export async function demoWatch(d) {
  const {forge, run, say, git, tmp, checkout} = d
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

  // The stand-in commits and exits; wait for its record to say so.
  const deadline = Date.now() + 30_000
  for (;;) {
    const s = await run(['status', `${OWNER}/${REPO}#${ISSUE}`, '--json', '--config', config], ['ignore', 'pipe', 'ignore'])
    if (s.code === 0 && JSON.parse(s.stdout).state !== 'running') break
    if (Date.now() > deadline) throw new Error('the watched worker did not finish in time')
    await delay(200)
  }
  const worktrees = path.join(tmp, 'worktrees', OWNER, REPO)
  const name = readdirSync(worktrees).find((n) => n.startsWith(`issue-${ISSUE}-`))
  if (!name) throw new Error(`no worktree for issue ${ISSUE} under ${worktrees}`)
  const worktree = path.join(worktrees, name)
  const branch = git(worktree, 'rev-parse', '--abbrev-ref', 'HEAD')
  const head = git(worktree, 'rev-parse', 'HEAD')

  say(`The worker committed on ${branch}; push it and open pull request #${PULL}, and CI passes`)
  git(worktree, 'push', '-q', 'origin', branch)
  forge.addPull({owner: OWNER, repo: REPO, number: PULL, branch, headSha: head, title: 'Mention the watch loop'})
  forge.addCheckRun({owner: OWNER, repo: REPO, sha: head, name: 'test', conclusion: 'success'})
  out = await pass('The next pass follows the finished run to its pull request: green, waiting for review')
  if (!new RegExp(`PR #${PULL} open`).test(out)) throw new Error('the pass did not find the pull request')

  say(`Squash-merge #${PULL} and close the issue, as a merge with "closes #${ISSUE}" does`)
  git(checkout, 'fetch', '-q', 'origin')
  git(checkout, 'merge', '-q', '--squash', `origin/${branch}`)
  git(checkout, 'commit', '-q', '-m', `Mention the watch loop (#${PULL})`)
  git(checkout, 'push', '-q', 'origin', 'main')
  git(checkout, 'push', '-q', 'origin', '--delete', branch)
  forge.updatePull({owner: OWNER, repo: REPO, number: PULL, state: 'merged'})
  forge.updateIssue({owner: OWNER, repo: REPO, number: ISSUE, state: 'closed'})
  out = await pass('The last pass sees the merge and reaps the worktree')
  if (!/merged/.test(out) || existsSync(worktree)) throw new Error('the last pass did not reap the merged worktree')
}
