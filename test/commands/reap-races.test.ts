import {expect} from 'chai'
import {existsSync, mkdirSync, symlinkSync} from 'node:fs'
import http from 'node:http'
import type net from 'node:net'
import path from 'node:path'

import {dispatchBranch} from '../support/branches.js'
import {useForgeSandbox} from '../support/forge-sandbox.js'
import {git, runCli, startCli, waitFor, writeConfig} from '../support/helpers.js'
import {records} from '../support/state.js'

/**
 * A GitHub pulls endpoint that holds its answer until the test lets it go:
 * the time between reap's look at a worktree and its removal, made long.
 */
async function gatedPulls(pull: () => Record<string, unknown>): Promise<{base: string; asked: () => boolean; release(): void; close(): Promise<void>}> {
  let asked = false
  let release!: () => void
  const open = new Promise<void>((resolve) => (release = resolve))
  const server = http.createServer(async (req, res) => {
    if (!req.url?.includes('/pulls')) {
      res.writeHead(404, {'content-type': 'application/json'}).end('{"message":"Not Found"}')
      return
    }
    asked = true
    await open
    res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify([pull()]))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    base: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    asked: () => asked,
    release,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

describe('reap removes only what it judged (through the binary)', function () {
  this.timeout(60_000)
  const t = useForgeSandbox({repos: ['acme/api'], env: {GH_TOKEN: 'ghp_SECRETTOKEN0123456789'}})

  it('keeps a squash-merged worktree that got a new commit while reap waited for the forge', async () => {
    const {sb} = t
    const checkout = t.checkouts['acme/api']
    const wt = dispatchBranch(sb, checkout, 'issue-7-squashed', 2, false)
    const gate = await gatedPulls(() => ({number: 17, html_url: 'https://github.com/acme/api/pull/17', state: 'closed', merged_at: '2026-11-24T00:00:00Z', draft: false, head: {ref: wt.branch, sha: wt.tip, label: `acme:${wt.branch}`}}))
    try {
      writeConfig(sb, {github: {apiUrl: gate.base, webUrl: 'https://github.com'}})
      const run = startCli(['reap', '--json'], {env: t.env})
      await waitFor('reap to ask the forge', () => gate.asked())
      // Someone (a worker dispatched there again, the operator) commits meanwhile.
      git(wt.dir, 'commit', '-q', '--allow-empty', '-m', 'added while reap looked')
      gate.release()
      const res = await run.done
      expect(res.code, res.stderr).to.equal(0)
      const [entry] = JSON.parse(res.stdout)
      expect(entry).to.include({path: wt.dir, action: 'kept', verdict: 'keep'})
      expect(entry.reason).to.match(/new commits arrived while reap looked/)
      expect(existsSync(wt.dir), 'the worktree was removed').to.equal(true)
      expect(git(checkout, 'log', '-1', '--format=%s', wt.branch)).to.equal('added while reap looked')
    } finally {
      gate.release()
      await gate.close()
    }
  })

  it('says the forge could not be asked when it keeps a worktree git cannot place', async () => {
    const {sb} = t
    const wt = dispatchBranch(sb, t.checkouts['acme/api'], 'issue-8-squashed', 1, false)
    const gate = await gatedPulls(() => ({}))
    await gate.close()
    writeConfig(sb, {github: {apiUrl: gate.base, webUrl: 'https://github.com'}})
    const res = await runCli(['reap', '--dry-run'], {env: t.env})
    expect(res.code, res.stderr).to.equal(0)
    expect(res.stdout).to.match(/^kept +\S+issue-8-squashed \(dispatch\/issue-8-squashed\): 1 commit not on main or any remote branch; the forge could not say whether a merged pull request holds them \(.+\)$/m)
    expect(existsSync(wt.dir)).to.equal(true)
  })
})

describe('reap under a symlinked worktreeRoot (through the binary)', function () {
  this.timeout(60_000)
  const t = useForgeSandbox({repos: ['acme/api'], issues: [{owner: 'acme', repo: 'api', number: 12, title: 'Fix it'}], env: {GH_TOKEN: 'ghp_SECRETTOKEN0123456789', STANDIN_COMMIT: '1'}})

  it('removes a worktree whose branch is on origin, though git knows it by its real path', async () => {
    const {sb, forge} = t
    const real = path.join(sb.dir, 'disk', 'worktrees')
    mkdirSync(real, {recursive: true})
    const link = path.join(sb.dir, 'worktrees-link')
    symlinkSync(real, link)
    writeConfig(sb, {github: forge.github}, {worktreeRoot: link})
    const res = await runCli(['headless', 'acme/api#12'], {env: t.env, cwd: t.checkouts['acme/api']})
    expect(res.code, res.stderr).to.equal(0)
    const record = await waitFor('the worker to end', () => records(sb).find((r) => r.ended_at))
    expect(record.cwd.startsWith(link)).to.equal(true)
    git(record.cwd, 'push', '-q', 'origin', record.branch)

    const reap = await runCli(['reap', '--json'], {env: t.env})
    expect(reap.code, reap.stderr).to.equal(0)
    const [entry] = JSON.parse(reap.stdout)
    expect(entry).to.include({path: record.cwd, action: 'removed', rule: 'git'})
    expect(existsSync(record.cwd)).to.equal(false)
  })
})
