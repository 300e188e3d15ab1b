import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import path from 'node:path'

import {useForgeSandbox} from '../support/forge-sandbox.js'
import {BIN, killTmux, runCli, waitFor, writeConfig} from '../support/helpers.js'
import {records} from '../support/state.js'

/** The messages a newcomer meets first say the right next step (issue 23, point 6). */
describe('messages that name the next step (through the binary)', function () {
  this.timeout(90_000)
  const t = useForgeSandbox({hold: true, repos: ['acme/api'], issues: [1, 2, 3].map((n) => ({owner: 'acme', repo: 'api', number: n, title: `Task ${n}`}))})

  it("doctor's fix for a forge answering 404, or not reachable, is about its URL, not an issue, and not doctor itself", async () => {
    const server = http.createServer((_req, res) => res.writeHead(404, {'content-type': 'application/json'}).end('{"message":"Not Found"}'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      writeConfig(t.sb, {github: {apiUrl: `${base}/wrong`, webUrl: base}, forgejo: {baseUrl: 'http://127.0.0.1:2', apiUrl: 'http://127.0.0.1:2/api/v1'}})
      const res = await runCli(['doctor'], {env: {...t.env, GH_TOKEN: 'x'}})
      const fixOf = (name: string) => res.stdout.split('\n')[res.stdout.split('\n').findIndex((l) => l.startsWith(`✗ ${name}`)) + 1]
      expect(fixOf('GitHub')).to.equal(`    fix: ${base}/wrong is not the forge's API (it answered 404): set github.apiUrl to the API's URL (https://api.github.com, or https://<host>/api/v3 for GitHub Enterprise).`)
      expect(fixOf('Forgejo')).to.equal("    fix: Check the network, and that forgejo.apiUrl (http://127.0.0.1:2/api/v1) is the forge's API (<forgejo.baseUrl>/api/v1).")
      expect(res.stdout).not.to.include('Check the owner, repository and number')
      expect(res.stdout).not.to.include('(dispatch doctor)')
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it('a mistyped topic suggests the command typed after it; a missing path reads as one sentence', async () => {
    const typo = await runCli(['sidequest', 'list'], {env: t.env})
    expect(typo.code).to.equal(127)
    expect(typo.stderr).to.include('Did you mean: dispatch sidequests list?')
    const missing = await runCli(['sidequests', 'conflicts'], {env: t.env})
    expect(missing.code).to.equal(2)
    expect(missing.stderr).to.include('Missing 1 required arg: path — Paths you are about to edit (relative to the current directory, in the checkout or any worktree).')
  })

  it('attach on a running worker says how to stop it first; a fan-out points at dispatch status', async () => {
    const fan = await runCli(['headless', 'acme/api#1', 'acme/api#2'], {env: t.env})
    expect(fan.code, fan.stderr).to.equal(0)
    expect(fan.stderr).to.include('See how they are doing: dispatch status')
    const pid = records(t.sb).find((r) => r.ref === 'acme/api#1')!.pid
    const attach = await runCli(['attach', 'acme/api#1'], {env: t.env})
    expect(attach.code).to.equal(3)
    expect(attach.stderr).to.include(`Stop it first (Claude saves its session): dispatch stop --pid ${pid}, then attach again.`)
  })

  it('status with nothing in the window names the most recent worker and when it ran', async () => {
    const none = await runCli(['status'], {env: t.env})
    expect(none.code).to.equal(0)
    expect(none.stderr).to.include('no workers recorded yet. Start one with: dispatch headless owner/repo#N')
    const dir = path.join(t.sb.stateDir, 'sidequests')
    mkdirSync(dir, {recursive: true})
    const startedAt = new Date(Date.now() - 3 * 86_400_000 - 60_000).toISOString()
    const old = {schema_version: 1, pid: 999_401, pid_start_time: null, mode: 'headless', ref: 'acme/zeta#7', forge: 'github', url: 'u', title: 'Old work', started_at: startedAt, parent_session: null, paths_claimed: [], cwd: '/x', branch: 'b', log_path: null, cascade_depth: 0, claude_session_id: null, ended_at: startedAt, exit_code: 0}
    writeFileSync(path.join(dir, '999401.json'), JSON.stringify(old))
    const res = await runCli(['status'], {env: t.env})
    expect(res.code).to.equal(0)
    expect(res.stdout).to.equal('')
    expect(res.stderr).to.include('no workers running or started in the last 1h; most recent: acme/zeta#7, 3 days ago')
    expect((await runCli(['status', '--since', '30m'], {env: t.env})).stderr).to.include('in the last 30m; most recent: acme/zeta#7, 3 days ago')
  })

  it('the progress line on a terminal reads "first reply... done" (real tmux pane)', async () => {
    const env: NodeJS.ProcessEnv = {...t.env}
    delete env.TMUX
    const tmux = (...args: string[]) => execFileSync('tmux', args, {env, encoding: 'utf8'})
    const done = path.join(t.sb.dir, 'progress.done')
    try {
      tmux('new-session', '-d', '-s', 'progress', '-x', '80', '-y', '30', `${process.execPath} ${BIN} headless acme/api#3; echo $? > ${done}; sleep 600`)
      await waitFor('the dispatch in the pane', () => existsSync(done) && readFileSync(done, 'utf8').trim() !== '', 60_000)
      const screen = tmux('capture-pane', '-p', '-J', '-t', 'progress')
      expect(readFileSync(done, 'utf8').trim(), screen).to.equal('0')
      expect(screen).to.include("Waiting for the worker's first reply... done")
      expect(screen).not.to.include('….')
    } finally {
      killTmux(env)
    }
  })
})
