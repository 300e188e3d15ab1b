import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {useForgeSandbox} from '../support/forge-sandbox.js'
import {BIN, killTmux, runCli, waitFor} from '../support/helpers.js'
import {records} from '../support/state.js'

const TITLE = 'Make the login form remember the last user across restarts'

/** Issue #6 dispatched three times is one row, and its title stays readable on an 80-column terminal (issue 23, point 7). */
describe('status folds attempts and fits 80 columns (through the binary, real tmux)', function () {
  this.timeout(90_000)
  const t = useForgeSandbox({repos: ['acme/api'], issues: [{owner: 'acme', repo: 'api', number: 6, title: TITLE}, {owner: 'acme', repo: 'api', number: 7, title: 'Short one'}]})

  /** Two earlier runs of the worker's issue, ended, as a redispatch leaves them. */
  async function threeAttempts(): Promise<number> {
    for (const ref of ['acme/api#6', 'acme/api#7']) {
      const res = await runCli(['headless', ref, '--json'], {env: t.env})
      expect(res.code, res.stderr).to.equal(0)
    }
    await waitFor('the workers to end', () => records(t.sb).length === 2 && records(t.sb).every((r) => r.ended_at))
    const newest = records(t.sb).find((r) => r.ref === 'acme/api#6')!
    const dir = path.join(t.sb.stateDir, 'sidequests')
    for (const [pid, minutesAgo, code] of [[999_601, 50, 1], [999_602, 40, 0]]) {
      const at = new Date(Date.now() - minutesAgo * 60_000).toISOString()
      writeFileSync(path.join(dir, `${pid}.json`), JSON.stringify({...newest, pid, supervisor_pid: undefined, started_at: at, ended_at: at, exit_code: code}))
    }
    return newest.pid
  }

  it('--json: one element per issue with attempts and the earlier runs', async () => {
    const pid = await threeAttempts()
    const res = await runCli(['status', '--json', '--no-outcome'], {env: t.env})
    expect(res.code, res.stderr).to.equal(0)
    const list = JSON.parse(res.stdout)
    expect(list.map((e: {ref: string; pid: number; attempts: number}) => [e.ref, e.pid, e.attempts])).to.deep.equal([['acme/api#7', list[0].pid, 1], ['acme/api#6', pid, 3]])
    expect(list[1].earlier_attempts.map((a: {pid: number; exit_code: number}) => [a.pid, a.exit_code])).to.deep.equal([[999_602, 0], [999_601, 1]])
    const one = await runCli(['status', 'acme/api#6', '--no-outcome', '--tail', '0'], {env: t.env})
    expect(one.stdout).to.match(new RegExp(`^pid +${pid}$`, 'm')).and.match(/^attempts +3 \(this is the newest/m)
    const piped = (await runCli(['status', '--no-outcome'], {env: t.env})).stdout.trim().split('\n')
    expect(piped.map((l) => [l.split('\t')[2], l.split('\t').at(-1)])).to.deep.equal([['acme/api#7', '1'], ['acme/api#6', '3']])
  })

  it('on an 80-column terminal: one row for #6 marked ×3, and the title gets the room the other columns leave', async () => {
    await threeAttempts()
    const env: NodeJS.ProcessEnv = {...t.env}
    delete env.TMUX
    const tmux = (...args: string[]) => execFileSync('tmux', args, {env, encoding: 'utf8'})
    const done = path.join(t.sb.dir, 'status.done')
    try {
      tmux('new-session', '-d', '-s', 'narrow', '-x', '80', '-y', '30', `${process.execPath} ${BIN} status --no-outcome; echo $? > ${done}; sleep 600`)
      await waitFor('status in the pane', () => existsSync(done) && readFileSync(done, 'utf8').trim() !== '', 60_000)
      const lines = tmux('capture-pane', '-p', '-t', 'narrow').split('\n').filter((l) => l.trim() !== '')
      expect(readFileSync(done, 'utf8').trim(), lines.join('\n')).to.equal('0')
      const rows = lines.filter((l) => l.includes('acme/api#6'))
      expect(rows, lines.join('\n')).to.have.length(1)
      expect(rows[0]).to.include('acme/api#6 ×3')
      // At least 28 columns of the title (the cut sits after them), inside 80 columns.
      expect(rows[0]).to.include(TITLE.slice(0, 28))
      for (const l of lines) expect([...l].length, l).to.be.at.most(80)
    } finally {
      killTmux(env)
    }
  })
})
