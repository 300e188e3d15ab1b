import {expect} from 'chai'
import {mkdirSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {useForgeSandbox} from '../support/forge-sandbox.js'
import {runCli} from '../support/helpers.js'

/**
 * Slurm records as the job writes them (pid 0: the process is on a node),
 * read by commands on a machine without Slurm's tools: what they tell the
 * user to type must work.
 */
describe('Slurm records name their job, never "pid 0" (through the binary)', function () {
  this.timeout(60_000)
  const t = useForgeSandbox({repos: ['acme/api'], issues: [{owner: 'acme', repo: 'api', number: 3, title: 'Queued work'}], env: {GH_TOKEN: 'ghp_SECRETTOKEN0123456789'}})

  const slurmRecord = (extra: Record<string, unknown>) => {
    const dir = path.join(t.sb.stateDir, 'sidequests')
    mkdirSync(dir, {recursive: true, mode: 0o700})
    const record = {
      schema_version: 2, mode: 'headless', ref: 'acme/api#3', forge: 'github', url: 'https://github.com/acme/api/issues/3', title: 'Queued work',
      started_at: new Date(Date.now() - 3 * 3600_000).toISOString(), parent_session: null, paths_claimed: [], repo: 'acme/api',
      cwd: path.join(t.sb.worktreeRoot, 'acme', 'api', 'issue-3-queued-work'), branch: 'dispatch/issue-3-queued-work', log_path: null,
      cascade_depth: 0, claude_session_id: null, pid: 0, pid_start_time: null, runner: 'slurm', job_id: '77', node: 'n1', ...extra,
    }
    writeFileSync(path.join(dir, 'slurm-77.json'), JSON.stringify(record), {mode: 0o600})
  }
  // No Slurm tools here: the scheduler cannot be asked.
  const noSlurm = () => {
    const bin = path.join(t.sb.dir, 'bin')
    mkdirSync(bin)
    symlinkSync(process.execPath, path.join(bin, 'node'))
    symlinkSync('/usr/bin/git', path.join(bin, 'git'))
    return {...t.env, PATH: bin}
  }

  it('status of an ended Slurm worker says how to attach by ref', async () => {
    slurmRecord({ended_at: new Date(Date.now() - 2 * 3600_000).toISOString(), exit_code: 0, claude_session_id: '645ef889-201a-4383-8428-1dd092536fe2'})
    const res = await runCli(['status', 'acme/api#3', '--no-outcome'], {env: noSlurm()})
    expect(res.code, res.stderr).to.equal(0)
    expect(res.stdout).to.match(/^back +dispatch attach 'acme\/api#3'$/m)
    expect(res.stdout).to.not.include('--pid 0')
  })

  it('a duplicate of a Slurm worker the scheduler could not be asked about is refused naming the job', async () => {
    slurmRecord({})
    const res = await runCli(['headless', 'acme/api#3'], {env: noSlurm(), cwd: t.checkouts['acme/api']})
    expect(res.code, res.stderr).to.equal(3)
    expect(res.stderr).to.match(/acme\/api#3 already has an active worker \(Slurm job 77, headless, started /)
  })
})
