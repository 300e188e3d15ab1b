// End-to-end: one whole `dispatch watch` loop (issue #22) with the real Claude
// Code CLI against the loopback Messages API and the fake forge. The scripted
// model makes the worker commit, push to the checkout's bare origin and open a
// pull request (git and curl in a Bash tool call); a failed check brings the
// same session back with the check's output, it pushes a fix; the merge ends
// the chain and the worktree is reaped. No network: everything is on 127.0.0.1.
import {expect} from 'chai'
import {existsSync, mkdirSync} from 'node:fs'
import {createRequire} from 'node:module'
import path from 'node:path'

import {useForgeSandbox, type FakeForge} from '../support/forge-sandbox.js'
import {git, waitFor, writeConfig, type Sandbox} from '../support/helpers.js'
import {conversationText, lastToolResult, startModelServer, type MessagesRequest, type ModelServer, type Reply} from '../support/model-server.js'
import {records} from '../support/state.js'
import {of, pass} from '../support/watch.js'

/** The pinned Claude Code binary, as claude.test.ts finds it (importing that file would run its suite here too). */
function claudeBinary(): string | undefined {
  const require = createRequire(import.meta.url)
  try {
    const pkg = require.resolve(`@anthropic-ai/claude-code-${process.platform}-${process.arch}/package.json`)
    const bin = path.join(path.dirname(pkg), 'claude')
    return existsSync(bin) ? bin : undefined
  } catch {
    return undefined
  }
}

const API_KEY = 'sk-ant-e2e-loopback-0123456789abcdefghij'
const CHECK_OUTPUT = 'AssertionError: E2E.md should say fixed on its second line (test/e2e-note.test.ts:4)'

describe('e2e: dispatch watch with the real Claude Code CLI', function () {
  this.timeout(420_000)
  const claude = claudeBinary()
  let model: ModelServer | undefined
  const t = useForgeSandbox({repos: ['acme/api'], exitWaitMs: 15_000, teardown: () => model?.close()})
  let forge: FakeForge
  let sb: Sandbox
  let env: NodeJS.ProcessEnv
  let bare: string

  before(function () {
    if (!claude) this.skip()
  })

  beforeEach(async () => {
    ;({forge, sb} = t)
    model = await startModelServer((req) => script(req))
    bare = path.join(sb.remotes, 'acme', 'api.git')
    forge.addIssue({owner: 'acme', repo: 'api', number: 1, title: 'Add an E2E note', body: 'Write E2E.md, commit it and open a pull request.', labels: ['go']})
    forge.attachGit('acme', 'api', bare)
    writeConfig(sb, {github: forge.github}, {
      healthWindowMs: 30_000,
      claude: {bin: claude, permissionMode: 'acceptEdits', allowedTools: ['Bash', 'Read', 'Edit', 'Write']},
      watch: {sources: [{repo: 'acme/api', label: 'go'}]},
    })
    const tmp = path.join(sb.dir, 'tmp')
    mkdirSync(tmp)
    env = {
      ...t.env,
      TMPDIR: tmp,
      ANTHROPIC_BASE_URL: model.url,
      ANTHROPIC_API_KEY: API_KEY,
      DISABLE_TELEMETRY: '1',
      DISABLE_AUTOUPDATER: '1',
      DISABLE_ERROR_REPORTING: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    }
  })

  /** The model: open the pull request on the first run; on the run the failed check brings back, push a fix. */
  function script(req: MessagesRequest): Reply {
    const text = conversationText(req)
    const done = lastToolResult(req) !== undefined
    const bash = (command: string): Reply => ({tool: {name: 'Bash', input: {command, description: 'scripted step'}}})
    if (text.includes('the checks on pull request')) {
      return done ? {text: 'Pushed the fix for the failed check.'} : bash(`printf 'fixed\\n' >> E2E.md && git commit -qam "Say fixed in the E2E note" && git push -q origin HEAD && git rev-parse HEAD`)
    }
    if (done) return {text: 'Opened the pull request for the E2E note.'}
    const pulls = `${forge.github.apiUrl}/repos/acme/api/pulls`
    return bash(
      [
        `printf 'e2e\\n' > E2E.md && git add E2E.md && git commit -q -m "Add the E2E note" -m "closes #1"`,
        'git push -q origin HEAD',
        `b=$(git branch --show-current) && curl -sS -f -X POST -H 'content-type: application/json' --data "{\\"title\\":\\"Add the E2E note\\",\\"head\\":\\"$b\\",\\"base\\":\\"main\\",\\"body\\":\\"closes #1\\"}" ${pulls}`,
      ].join(' && '),
    )
  }

  const byStart = () => records(sb).sort((a, b) => Date.parse(a.started_at) - Date.parse(b.started_at))
  const ended = (n: number) => waitFor(`${n} ended runs`, () => byStart().length >= n && byStart()[n - 1].ended_at && byStart()[n - 1], 180_000)

  it('a labelled issue becomes a pull request; its failed check resumes the session, which pushes a fix; the merge reaps the worktree', async () => {
    // Pass 1: the issue is started; the worker commits, pushes and opens the pull request.
    const first = await pass(env)
    expect(of(first, 'started', 'acme/api#1')[0]).to.include({attempt: 1, round: 0})
    const r1 = await ended(1)
    expect(r1).to.include({exit_code: 0, watched: true, mode: 'headless'})
    expect(r1.claude_session_id).to.match(/^[0-9a-f-]{36}$/)
    const opened = forge.requests.filter((r) => r.method === 'POST' && r.path === '/gh-api/repos/acme/api/pulls')
    expect(opened.map((r) => r.status)).to.deep.equal([201])
    const head1 = git(sb.dir, '--git-dir', bare, 'rev-parse', `refs/heads/${r1.branch}`)
    expect(git(sb.dir, '--git-dir', bare, 'log', '-1', '--format=%s', head1)).to.equal('Add the E2E note')
    expect(forge.pullsOf({owner: 'acme', repo: 'api'}).map((p: {branch: string; headSha: string; body: string}) => [p.branch, p.headSha, p.body])).to.deep.equal([[r1.branch, head1, 'closes #1']])
    forge.addCheckRun({owner: 'acme', repo: 'api', sha: head1, name: 'unit', conclusion: 'failure', output: {title: '1 failed', summary: 'the E2E note is incomplete', text: CHECK_OUTPUT}})

    // Pass 2: the pull request's check failed: the same session is resumed with the check's output, and pushes a fix.
    const second = await pass(env)
    const pr = of(second, 'pull-request', 'acme/api#1')[0]
    expect(pr).to.include({state: 'open', checks: 'failure'})
    expect(of(second, 'resumed', 'acme/api#1')[0]).to.include({reason: 'checks', attempt: 1, round: 1, session: r1.claude_session_id})
    const r2 = await ended(2)
    expect(r2).to.include({exit_code: 0, round: 1, attempt: 1, continuation: 'checks', cwd: r1.cwd, branch: r1.branch})
    expect(r2.continues).to.equal(String(r1.pid))
    expect(r1.claude_args).not.to.include('--resume')
    const at = r2.claude_args!.indexOf('--resume')
    expect(r2.claude_args!.slice(at, at + 2)).to.deep.equal(['--resume', r1.claude_session_id])
    // The model saw the check's output, and the first run's conversation before it: the session was resumed, not restarted.
    const resumedTurn = model!.requests.find((r) => r.tools?.length && conversationText(r).includes('the checks on pull request'))!
    expect(conversationText(resumedTurn)).to.include(CHECK_OUTPUT).and.include(`the checks on pull request #${pr.number} failed (round 1)`).and.include('Opened the pull request for the E2E note.')
    const head2 = git(sb.dir, '--git-dir', bare, 'rev-parse', `refs/heads/${r1.branch}`)
    expect(head2).not.to.equal(head1)
    expect(git(sb.dir, '--git-dir', bare, 'show', `${head2}:E2E.md`)).to.equal('e2e\nfixed')

    // The fix passes and the pull request is merged: pass 3 sees the merge and reaps the worktree.
    forge.addCheckRun({owner: 'acme', repo: 'api', sha: head2, name: 'unit', conclusion: 'success'})
    expect(forge.pullsOf({owner: 'acme', repo: 'api'})[0].headSha, 'the pull request follows the pushed fix').to.equal(head2)
    forge.mergePull({owner: 'acme', repo: 'api', number: pr.number, land: true})
    forge.closeIssue({owner: 'acme', repo: 'api', number: 1})
    expect(existsSync(r1.cwd)).to.equal(true)
    const third = await pass(env)
    expect(of(third, 'merged', 'acme/api#1')[0]).to.include({number: pr.number, reaped: true})
    expect(existsSync(r1.cwd)).to.equal(false)
    expect(byStart().at(-1)!.watch_done).to.equal('merged')
    expect(git(sb.dir, '--git-dir', bare, 'show', 'main:E2E.md')).to.equal('e2e\nfixed')
    expect(of(third, 'started').concat(of(third, 'resumed'))).to.deep.equal([])
    // Done is done: a later pass lists the repository and asks nothing about the merged chain.
    const before = forge.requests.length
    const quiet = await pass(env)
    expect(quiet.map((e) => e.event)).to.deep.equal(['pass'])
    expect(forge.requests.slice(before).map((r) => `${r.method} ${r.path}`)).to.deep.equal(['GET /gh-api/repos/acme/api/issues'])
  })
})
