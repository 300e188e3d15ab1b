#!/usr/bin/env node
// `npm run demo`: dispatch end to end with no credentials and no network.
// A loopback fake forge serves one open issue, a sample repository gets a bare
// origin, and a bundled stand-in for claude does the "work" (a commit on the
// dispatch branch), then a short `dispatch watch --once` loop carries a
// labelled issue from worker to merge (scripts/demo-watch.mjs). Set
// DISPATCH_DEMO_REAL_CLAUDE=1 to run the real `claude` on your PATH instead (it
// needs to be logged in; the pull-request and watch parts, which play the
// forge's side, are then skipped). Everything lives in a temp directory that is
// removed at the end.
import {execFileSync, spawn} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'
import {fileURLToPath} from 'node:url'

import {startFakeForge} from '../test/support/fake-forge.mjs'
import {demoWatch} from './demo-watch.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const bin = path.join(root, 'bin', 'run.js')
const real = Boolean(process.env.DISPATCH_DEMO_REAL_CLAUDE)
const tmp = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'dispatch-demo-')))
const bold = process.stdout.isTTY && !process.env.NO_COLOR
const say = (text) => process.stdout.write(bold ? `\n\x1b[1m==> ${text}\x1b[0m\n` : `\n==> ${text}\n`)

const gitEnv = {...process.env, GIT_AUTHOR_NAME: 'Demo', GIT_AUTHOR_EMAIL: 'demo@example.invalid', GIT_COMMITTER_NAME: 'Demo', GIT_COMMITTER_EMAIL: 'demo@example.invalid'}
const git = (cwd, ...args) => execFileSync('git', args, {cwd, env: gitEnv, encoding: 'utf8'}).trim()

const forge = await startFakeForge()
let exitCode = 0
try {
  forge.addIssue({owner: 'acme', repo: 'demo', number: 1, title: 'Add a note about dispatch to the repository', body: 'Please add a short note file explaining how this issue was handled.'})
  // status asks the forge for the pull request of a finished worker's branch: none yet.
  forge.servePulls({owner: 'acme', repo: 'demo'})

  // A sample checkout with a bare origin, laid out as workspace/<owner>/<repo>.
  const checkout = path.join(tmp, 'workspace', 'acme', 'demo')
  const origin = path.join(tmp, 'remotes', 'acme', 'demo.git')
  mkdirSync(checkout, {recursive: true})
  mkdirSync(path.dirname(origin), {recursive: true})
  git(tmp, 'init', '-q', '--bare', '-b', 'main', origin)
  git(checkout, 'init', '-q', '-b', 'main')
  writeFileSync(path.join(checkout, 'README.md'), '# demo\n')
  git(checkout, 'add', '.')
  git(checkout, 'commit', '-q', '-m', 'Initial commit')
  git(checkout, 'remote', 'add', 'origin', origin)
  git(checkout, 'push', '-q', '-u', 'origin', 'main')
  git(checkout, 'remote', 'set-head', 'origin', 'main')

  const release = path.join(tmp, 'release')
  const config = path.join(tmp, 'dispatch.json')
  const settings = {
    allowedOwners: ['acme'],
    workspace: {root: path.join(tmp, 'workspace')},
    worktreeRoot: path.join(tmp, 'worktrees'),
    stateDir: path.join(tmp, 'state'),
    healthWindowMs: 4000,
    github: forge.github,
    claude: real ? {permissionMode: 'acceptEdits', maxBudgetUsd: 1} : {bin: path.join(root, 'test', 'support', 'stand-in-claude.mjs'), permissionMode: 'acceptEdits'},
    landing: 'none',
  }
  writeFileSync(config, JSON.stringify(settings, null, 2))
  const env = {
    ...gitEnv,
    DISPATCH_CONFIG: config,
    OCLIF_SKIP_NEW_VERSION_CHECK: 'true',
    XDG_CONFIG_HOME: path.join(tmp, 'xdg-config'),
    XDG_STATE_HOME: path.join(tmp, 'xdg-state'),
    XDG_DATA_HOME: path.join(tmp, 'xdg-data'),
    ...(real ? {} : {HOME: path.join(tmp, 'home'), CLAUDE_CONFIG_DIR: path.join(tmp, 'claude'), STANDIN_COMMIT: '1', STANDIN_HOLD_FILE: release}),
  }
  // The demo needs no credentials; don't let real ones near the fake forge.
  delete env.GH_TOKEN
  delete env.GITHUB_TOKEN
  env.PATH = (env.PATH ?? '').split(path.delimiter).filter((d) => !existsSync(path.join(d, 'gh'))).join(path.delimiter)
  // NOTE: async on purpose: the fake forge answers from this very process.
  const run = (args, stdio) =>
    new Promise((resolve) => {
      let stdout = ''
      const child = spawn(process.execPath, [bin, ...args], {env, cwd: tmp, stdio})
      child.stdout?.on('data', (d) => (stdout += d))
      child.on('close', (code) => resolve({code: code ?? 1, stdout}))
    })
  const dispatch = async (...args) => {
    process.stdout.write(`$ dispatch ${args.join(' ')}\n`)
    return (await run(args, 'inherit')).code
  }

  say(`A fake forge on ${forge.base} serves acme/demo#1; the checkout is ${checkout}`)
  say('Dispatch a headless worker')
  if ((await dispatch('headless', 'acme/demo#1')) !== 0) throw new Error('the dispatch failed')

  say('Who is working on what')
  await dispatch('sidequests', 'list')

  if (!real) writeFileSync(release, '')
  say('Wait for the worker to finish, then look at it')
  const deadline = Date.now() + (real ? 600_000 : 30_000)
  for (;;) {
    const out = await run(['status', 'acme/demo#1', '--json'], ['ignore', 'pipe', 'ignore'])
    if (out.code === 0 && JSON.parse(out.stdout).state !== 'running') break
    if (Date.now() > deadline) throw new Error('the worker did not finish in time')
    await delay(200)
  }
  await dispatch('status', 'acme/demo#1')

  say("The worker's commit, on its own branch")
  const worktree = path.join(tmp, 'worktrees', 'acme', 'demo', 'issue-1-add-a-note-about-dispatch-to-the')
  if (!existsSync(worktree)) throw new Error(`the worktree ${worktree} is missing`)
  const commits = git(worktree, 'log', '--oneline', 'main..HEAD')
  process.stdout.write(`$ git log --oneline main..${git(worktree, 'rev-parse', '--abbrev-ref', 'HEAD')}\n${commits || '(no commits)'}\n`)
  process.stdout.write(`main is untouched: ${git(checkout, 'log', '--oneline', '-1', 'main')}\n`)
  if (!real && !commits) throw new Error('the stand-in worker made no commit')

  if (!real) {
    say('Say the branch is pushed and a pull request opened, and CI passed: status shows the outcome')
    const branch = git(worktree, 'rev-parse', '--abbrev-ref', 'HEAD')
    git(worktree, 'push', '-q', 'origin', branch)
    const head = git(worktree, 'rev-parse', 'HEAD')
    forge.addPull({owner: 'acme', repo: 'demo', number: 2, branch, headSha: head, title: 'Add a note about dispatch'})
    forge.addCheckRun({owner: 'acme', repo: 'demo', sha: head, name: 'test', conclusion: 'success'})
    await dispatch('status')

    say('Squash-merge it on the forge: git sees no merge, reap asks the forge and removes the worktree')
    git(checkout, 'fetch', '-q', 'origin')
    git(checkout, 'merge', '-q', '--squash', branch)
    git(checkout, 'commit', '-q', '-m', 'Add a note about dispatch (#2)')
    git(checkout, 'push', '-q', 'origin', 'main')
    git(checkout, 'push', '-q', 'origin', '--delete', branch)
    forge.updatePull({owner: 'acme', repo: 'demo', number: 2, state: 'merged'})
    await dispatch('reap')
    if (existsSync(worktree)) throw new Error('reap kept the squash-merged worktree')

    await demoWatch({forge, run, say, git, tmp, origin, config: settings, env})
  }
  say('Done. Everything above ran against 127.0.0.1 and a temp directory, now removed.')
} catch (error) {
  process.stderr.write(`demo failed: ${error.message}\n`)
  exitCode = 1
} finally {
  await forge.close()
  rmSync(tmp, {recursive: true, force: true})
}
process.exit(exitCode)
