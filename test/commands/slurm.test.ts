import {expect} from 'chai'
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {startFakeForge} from '../support/fake-forge.mjs'
import {filesUnder, git, makeRepo, makeSandbox, runCli, waitFor, writeConfig, type Sandbox} from '../support/helpers.js'
import {useSlurm} from '../support/slurm.js'
import {records, standIns} from '../support/state.js'

type FakeForge = Awaited<ReturnType<typeof startFakeForge>>

const TOKEN = 'ghp_SLURMSECRET0123456789abcdef'

describe('Slurm workers (a real one-node cluster, through the binary)', function () {
  this.timeout(120_000)
  const slurm = useSlurm(this)
  let forge: FakeForge
  let sb: Sandbox
  let env: NodeJS.ProcessEnv

  beforeEach(async () => {
    forge = await startFakeForge()
    sb = makeSandbox()
    makeRepo(sb, 'acme', 'api')
    forge.addIssue({owner: 'acme', repo: 'api', number: 12, title: 'Fix the login bug', body: 'It breaks.'})
    forge.addIssue({owner: 'acme', repo: 'api', number: 13, title: 'Second issue'})
    writeConfig(sb, {github: forge.github}, {runner: {kind: 'slurm', slurm: {}}})
    env = {...sb.env, ...slurm.cluster().env, GH_TOKEN: TOKEN, STANDIN_HOLD_FILE: path.join(sb.dir, 'release')}
  })
  afterEach(async () => {
    writeFileSync(path.join(sb.dir, 'release'), '')
    // Nothing of this test may stay in the queue for the next one.
    const ids = records(sb).map((r) => r.job_id).filter(Boolean)
    if (ids.length > 0) await slurm.cluster().client('scancel', ...ids).catch(() => {})
    await waitFor('the jobs to leave the node', async () => !(await slurm.cluster().client('squeue', '-h', '-t', 'PENDING,RUNNING,COMPLETING', '-o', '%i')).trim(), 20_000).catch(() => {})
    await forge.close()
    sb.cleanup()
  })

  const jobState = async (id: string) => (await slurm.cluster().client('squeue', '-h', '--states=all', `--jobs=${id},${id}`, '-o', '%T')).trim()

  it('runs the worker as a batch job: record with the job id, log, commit on the branch, exit code and cost after the end', async () => {
    const res = await runCli(['headless', 'acme/api#12', '--claims', 'src'], {env: {...env, STANDIN_COMMIT: '1', STANDIN_HOLD_FILE: ''}, cwd: sb.dir})
    expect(res.code, res.stderr).to.equal(0)
    expect(res.stderr).to.match(/✓ Started headless worker for acme\/api#12 \(Slurm job \d+ (queued|running)/)
    expect(res.stdout).to.match(/^job +\d+$/m)
    const [first] = records(sb)
    expect(first).to.include({runner: 'slurm', ref: 'acme/api#12'})
    expect(first.job_id).to.match(/^\d+$/)
    const ended = await waitFor('the job to record its end', () => records(sb).find((r) => r.ended_at), 60_000)
    expect(ended).to.include({job_id: first.job_id, runner: 'slurm', exit_code: 0, cost_usd: 0.0123, num_turns: 3, node: slurm.cluster().node})
    expect(ended.pid).to.be.above(0)
    expect(readFileSync(ended.log_path, 'utf8')).to.include('"type":"result"')
    const [standIn] = standIns(sb)
    expect(standIn.cwd).to.equal(ended.cwd)
    expect(standIn.stdin).to.include('It breaks.')
    // The worker gets its token from the spec file, not from Slurm's environment.
    expect(standIn.env.GH_TOKEN).to.equal(TOKEN)
    expect(git(ended.cwd, 'log', '-1', '--format=%s', ended.branch)).to.equal('Add the demo note')
    expect(await jobState(first.job_id)).to.equal('COMPLETED')

    const list = JSON.parse((await runCli(['sidequests', 'list', '--all', '--json'], {env, cwd: sb.dir})).stdout)
    expect(list[0]).to.include({job_id: first.job_id, runner: 'slurm', job_state: 'COMPLETED', exit_code: 0})
  })
})
