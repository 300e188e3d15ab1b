/**
 * What came of a worker (through the binary): `status`'s OUTCOME column and
 * block, `status --json`'s outcome, reap's forge rule, and the pull request
 * URL in the finish notification. Real repositories with bare origins, the
 * loopback fake forge in GitHub's and Forgejo's shapes.
 */
import {expect} from 'chai'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import type {WorkerOutcome} from '../../src/index.js'
import {dispatchBranch} from '../support/branches.js'
import {useForgeSandbox, type FakeForge} from '../support/forge-sandbox.js'
import {git, isAlive, killQuietly, runCli, waitFor, writeConfig, type Sandbox} from '../support/helpers.js'
import {startSilentServer} from '../support/silent-server.js'

type Kind = 'github' | 'forgejo'

function writeRecord(sb: Sandbox, record: Record<string, unknown>): void {
  const dir = path.join(sb.stateDir, 'sidequests')
  mkdirSync(dir, {recursive: true, mode: 0o700})
  writeFileSync(path.join(dir, `${record.pid}.json`), JSON.stringify(record), {mode: 0o600})
}

/** A finished worker's record, as the supervisor leaves it. */
function finished(sb: Sandbox, pid: number, kind: Kind, n: number, branch: string, cwd: string, checkout: string): void {
  writeRecord(sb, {
    schema_version: 2,
    pid,
    pid_start_time: null,
    mode: 'headless',
    ref: `acme/api#${n}`,
    repo: 'acme/api',
    forge: kind,
    url: `https://forge.example/acme/api/issues/${n}`,
    title: `Task ${n}`,
    started_at: new Date(Date.now() - 600_000 + n).toISOString(),
    parent_session: null,
    paths_claimed: [],
    cwd,
    checkout,
    branch,
    log_path: null,
    cascade_depth: 0,
    claude_session_id: null,
    ended_at: new Date(Date.now() - 60_000).toISOString(),
    exit_code: 0,
  })
}

/** `status` piped: tab-separated rows; ref → OUTCOME cell (the column before the title). */
function outcomeColumn(stdout: string): Record<string, string> {
  return Object.fromEntries(stdout.trim().split('\n').map((l) => l.split('\t')).map((cells) => [cells[2], cells[7]]))
}

describe('outcome: what came of a worker (through the binary)', function () {
  this.timeout(90_000)
  const t = useForgeSandbox({repos: ['acme/api']})
  let forge: FakeForge, sb: Sandbox, checkout: string
  beforeEach(() => ({forge, sb, checkouts: {'acme/api': checkout}} = t))
  const worktree = (name: string, n: number, push: boolean) => dispatchBranch(sb, checkout, name, n, push)

  /** A squash merge on the forge: one new commit on main, and the head branch deleted, as GitHub does. */
  function squashMerge(branch: string): void {
    git(checkout, 'commit', '-q', '--allow-empty', '-m', `Squashed ${branch}`)
    git(checkout, 'push', '-q', 'origin', 'main')
    git(checkout, 'push', '-q', 'origin', '--delete', branch)
    git(checkout, 'fetch', '-q', '--prune', 'origin')
  }

  for (const kind of ['github', 'forgejo'] as const) {
    it(`${kind}: no branch, pushed without a pull request, a draft with failing checks, squash-merged, closed`, async () => {
      writeConfig(sb, {github: forge.github, forgejo: forge.forgejo})
      forge.servePulls({forge: kind, owner: 'acme', repo: 'api'})
      const none = path.join(sb.worktreeRoot, 'acme', 'api', 'issue-1-gone')
      finished(sb, 999_001, kind, 1, 'dispatch/issue-1-gone', none, checkout)
      const pushed = worktree('issue-2-pushed', 1, true)
      finished(sb, 999_002, kind, 2, pushed.branch, pushed.dir, checkout)
      // A second dispatch of the same issue, on the same branch: asked about once.
      finished(sb, 999_012, kind, 2, pushed.branch, pushed.dir, checkout)
      const draft = worktree('issue-3-draft', 2, true)
      finished(sb, 999_003, kind, 3, draft.branch, draft.dir, checkout)
      forge.addPull({forge: kind, owner: 'acme', repo: 'api', number: 13, branch: draft.branch, headSha: draft.tip, state: 'draft'})
      if (kind === 'github') forge.addCheckRun({owner: 'acme', repo: 'api', sha: draft.tip, name: 'test', conclusion: 'failure'})
      else forge.addStatus({forge: 'forgejo', owner: 'acme', repo: 'api', sha: draft.tip, context: 'ci/test', state: 'failure'})
      const squashed = worktree('issue-4-squashed', 2, true)
      finished(sb, 999_004, kind, 4, squashed.branch, squashed.dir, checkout)
      forge.addPull({forge: kind, owner: 'acme', repo: 'api', number: 14, branch: squashed.branch, headSha: squashed.tip, state: 'merged'})
      squashMerge(squashed.branch)
      const closed = worktree('issue-5-closed', 1, true)
      finished(sb, 999_005, kind, 5, closed.branch, closed.dir, checkout)
      forge.addPull({forge: kind, owner: 'acme', repo: 'api', number: 15, branch: closed.branch, headSha: closed.tip, state: 'closed'})

      const list = await runCli(['status', '--all'], {env: sb.env, cwd: sb.dir})
      expect(list.code, list.stderr).to.equal(0)
      expect(outcomeColumn(list.stdout)).to.deep.equal({
        'acme/api#1': 'no branch',
        'acme/api#2': 'pushed',
        'acme/api#3': 'PR #13 draft ✗',
        'acme/api#4': 'PR #14 merged',
        'acme/api#5': 'PR #15 closed',
      })
      // Five branches, each asked about once, though #2 has two records.
      const pullsAsked = forge.requests.filter((r) => r.path.includes('/pulls'))
      expect(pullsAsked).to.have.length(5)

      const json: Array<{ref: string; pid: number; outcome: WorkerOutcome | null}> = JSON.parse((await runCli(['status', '--json', '--all'], {env: sb.env})).stdout)
      const byPid = Object.fromEntries(json.map((r) => [r.pid, r.outcome]))
      // #2's two records are one row (its newest), the other an earlier attempt.
      const two = json.filter((r) => r.ref === 'acme/api#2') as Array<{pid: number; attempts: number; outcome: WorkerOutcome | null}>
      expect(two.map((r) => [r.pid, r.attempts])).to.deep.equal([[999_012, 2]])
      expect(two[0].outcome).to.deep.equal({branch: pushed.branch, ahead: 1, pushed: 'up-to-date', pull_request: null, forge_error: null, summary: 'pushed'})
      const web = kind === 'github' ? `${forge.base}/gh/acme/api/pull/13` : `${forge.base}/fj/acme/api/pulls/13`
      expect(byPid[999_003]?.pull_request).to.deep.equal({number: 13, url: web, state: 'draft', head_sha: draft.tip, checks: 'failure'})
      expect(byPid[999_004]).to.include({ahead: 2, pushed: 'absent', summary: 'PR #14 merged'})

      // One worker in detail, from inside its worktree, the flag after the ref.
      const one = await runCli(['status', 'acme/api#3', '--tail=0'], {env: sb.env, cwd: draft.dir})
      expect(one.code, one.stderr).to.equal(0)
      expect(one.stdout).to.include('outcome   PR #13 draft ✗\n').and.include(`pull req  #13 draft, checks failure: ${web}\n`).and.include('2 commits ahead of the default branch; on origin, up to date')
      const oneJson = JSON.parse((await runCli(['status', '--json', 'acme/api#4'], {env: sb.env, cwd: checkout})).stdout)
      expect(oneJson.outcome.pull_request).to.include({state: 'merged', number: 14})
    })
  }

  it('a forge that is down degrades the column to "unknown"; status still exits 0', async () => {
    writeConfig(sb, {github: {apiUrl: 'http://127.0.0.1:2/api', webUrl: 'http://127.0.0.1:2'}})
    const w = worktree('issue-6-down', 3, false)
    finished(sb, 999_006, 'github', 6, w.branch, w.dir, checkout)
    const list = await runCli(['status', '--all'], {env: sb.env})
    expect(list.code, list.stderr).to.equal(0)
    expect(outcomeColumn(list.stdout)).to.deep.equal({'acme/api#6': 'unknown'})
    const one = await runCli(['status', 'acme/api#6'], {env: sb.env})
    expect(one.code, one.stderr).to.equal(0)
    expect(one.stdout).to.include('outcome   unknown').and.include('3 commits ahead of the default branch; not on origin').and.match(/forge: Could not reach 127\.0\.0\.1:2/)
    // --no-outcome (flag after the ref, too): no lookup at all, "-" in the column, null in JSON.
    const skipped = await runCli(['status', '--all', '--no-outcome'], {env: sb.env})
    expect(outcomeColumn(skipped.stdout)).to.deep.equal({'acme/api#6': '-'})
    const skippedJson = JSON.parse((await runCli(['status', 'acme/api#6', '--json', '--no-outcome'], {env: sb.env})).stdout)
    expect(skippedJson.outcome).to.equal(null)
  })

  it('a forge that hangs: status answers within the configured timeout, with "unknown"', async () => {
    const {base, close} = await startSilentServer()
    try {
      writeConfig(sb, {github: {apiUrl: `${base}/api`, webUrl: base}}, {timeoutMs: 2000})
      // Nine branches: asked four at a time with only per-request timeouts, that would be three waves of 2 s.
      for (let n = 1; n <= 9; n++) {
        const w = worktree(`issue-${n}-hang`, 1, false)
        finished(sb, 999_100 + n, 'github', n, w.branch, w.dir, checkout)
      }
      const started = Date.now()
      const list = await runCli(['status', '--all'], {env: sb.env})
      const took = Date.now() - started
      expect(list.code, list.stderr).to.equal(0)
      expect(new Set(Object.values(outcomeColumn(list.stdout)))).to.deep.equal(new Set(['unknown']))
      expect(took, `status took ${took} ms`).to.be.below(5000)
    } finally {
      await close()
    }
  })

  describe('reap asks the forge about squash- and rebase-merged branches', () => {
    it('github (the record names the forge): removes the squash-merged worktree, keeps one with a commit added after the merge', async () => {
      writeConfig(sb, {github: forge.github})
      forge.addIssue({owner: 'acme', repo: 'api', number: 99, title: 'known repository'})
      const merged = worktree('issue-7-squashed', 2, true)
      finished(sb, 999_007, 'github', 7, merged.branch, merged.dir, checkout)
      forge.addPull({owner: 'acme', repo: 'api', number: 17, branch: merged.branch, headSha: merged.tip, state: 'merged'})
      squashMerge(merged.branch)
      const moved = worktree('issue-8-moved', 1, true)
      finished(sb, 999_008, 'github', 8, moved.branch, moved.dir, checkout)
      forge.addPull({owner: 'acme', repo: 'api', number: 18, branch: moved.branch, headSha: moved.tip, state: 'merged'})
      squashMerge(moved.branch)
      git(moved.dir, 'commit', '-q', '--allow-empty', '-m', 'after the merge')

      const dry = JSON.parse((await runCli(['reap', '--dry-run', '--json'], {env: sb.env})).stdout)
      const byPath = (entries: Array<{path: string}>) => Object.fromEntries(entries.map((e) => [e.path, e]))
      expect(byPath(dry)[merged.dir]).to.include({action: 'would-remove', verdict: 'remove', rule: 'forge'})
      expect(existsSync(merged.dir)).to.equal(true)

      const res = await runCli(['reap', '--json'], {env: sb.env})
      expect(res.code, res.stderr).to.equal(0)
      const entries = byPath(JSON.parse(res.stdout))
      expect(entries[merged.dir]).to.include({action: 'removed', rule: 'forge', branch: merged.branch})
      expect(entries[merged.dir].reason).to.match(/pull request #17 was merged with this branch tip \([0-9a-f]{12}\) as its head/)
      expect(existsSync(merged.dir)).to.equal(false)
      expect(git(checkout, 'branch', '--list', merged.branch)).to.equal('')
      expect(entries[moved.dir]).to.include({action: 'kept', verdict: 'keep', rule: null})
      expect(entries[moved.dir].reason).to.match(/pull request #18 was merged at [0-9a-f]{12}, but the branch is at [0-9a-f]{12}/)
      expect(existsSync(moved.dir)).to.equal(true)
    })

    it('forgejo (no record: the layout and allowedOwners name the forge): the human output says which rule removed it', async () => {
      writeConfig(sb, {github: forge.github, forgejo: forge.forgejo})
      const merged = worktree('issue-9-rebased', 1, true)
      forge.addPull({forge: 'forgejo', owner: 'acme', repo: 'api', number: 19, branch: merged.branch, headSha: merged.tip, state: 'merged'})
      squashMerge(merged.branch)
      const unmerged = worktree('issue-10-open', 1, false)
      forge.servePulls({forge: 'forgejo', owner: 'acme', repo: 'api'})
      const res = await runCli(['reap'], {env: sb.env})
      expect(res.code, res.stderr).to.equal(0)
      expect(res.stdout).to.match(new RegExp(`removed +${merged.dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(${merged.branch}\\): pull request #19 was merged with this branch tip`))
      expect(res.stdout).to.match(/kept +\S+issue-10-open \(dispatch\/issue-10-open\): 1 commit not on main or any remote branch/)
      expect(existsSync(unmerged.dir)).to.equal(true)
    })
  })

  it('the finish notification carries the pull request URL', async () => {
    forge.addIssue({owner: 'acme', repo: 'api', number: 12, title: 'Fix the login'})
    forge.addPull({owner: 'acme', repo: 'api', number: 21, branch: 'dispatch/issue-12-fix-the-login', headSha: 'c'.repeat(40)})
    const events = path.join(sb.dir, 'events.jsonl')
    writeConfig(sb, {github: forge.github}, {notify: {command: `{ cat; printf '%s\\n' "$DISPATCH_PR_URL"; } >> ${events}`}})
    const res = await runCli(['headless', 'acme/api#12'], {env: sb.env})
    expect(res.code, res.stderr).to.equal(0)
    const lines = await waitFor('the finish event', () => {
      const text = existsSync(events) ? readFileSync(events, 'utf8') : ''
      return text.includes('"finished"') && text.trim().split('\n').length >= 4 ? text.trim().split('\n') : undefined
    })
    const finishedAt = lines.findIndex((l) => l.includes('"finished"'))
    expect(JSON.parse(lines[finishedAt])).to.include({event: 'finished', ref: 'acme/api#12', pr_url: `${forge.base}/gh/acme/api/pull/21`})
    expect(lines[finishedAt + 1]).to.equal(`${forge.base}/gh/acme/api/pull/21`)
    // The dispatched event came before any pull request was looked up.
    expect(JSON.parse(lines[0])).to.not.have.property('pr_url')
    const recs = JSON.parse(readFileSync(path.join(sb.stateDir, 'sidequests', (await import('node:fs')).readdirSync(path.join(sb.stateDir, 'sidequests'))[0]), 'utf8'))
    await waitFor('the supervisor to exit', () => !isAlive(recs.supervisor_pid), 10_000).catch(() => killQuietly([recs.supervisor_pid]))
  })
})
