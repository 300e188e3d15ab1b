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
    await waitFor('the scheduler to see the job complete', async () => (await jobState(first.job_id)) === 'COMPLETED', 20_000)

    const list = JSON.parse((await runCli(['sidequests', 'list', '--all', '--json'], {env, cwd: sb.dir})).stdout)
    expect(list[0]).to.include({job_id: first.job_id, runner: 'slurm', job_state: 'COMPLETED', exit_code: 0})
  })

  it('shows a held job as queued, counts it for duplicates and claims but not maxActive, and stop takes it out of the queue', async () => {
    writeConfig(sb, {github: forge.github}, {maxActive: 1, runner: {kind: 'slurm', slurm: {extraArgs: ['--hold']}}})
    const res = await runCli(['headless', 'acme/api#12', '--claims=src'], {env, cwd: sb.dir})
    expect(res.code, res.stderr).to.equal(0)
    expect(res.stderr).to.match(/Slurm job \d+ queued/)
    const [queued] = records(sb)
    expect(queued.pid).to.equal(0)
    expect(await jobState(queued.job_id)).to.equal('PENDING')

    const list = JSON.parse((await runCli(['sidequests', 'list', '--json'], {env, cwd: sb.dir})).stdout)
    expect(list).to.have.length(1)
    expect(list[0]).to.include({job_id: queued.job_id, job_state: 'PENDING', job_reason: 'JobHeldUser', runner: 'slurm'})
    const status = await runCli(['status'], {env, cwd: sb.dir})
    expect(status.stdout).to.match(new RegExp(`QUEUED \\(JobHeldUser\\)\\s+slurm:${queued.job_id}\\s+acme/api#12`))
    const block = JSON.parse((await runCli(['status', 'acme/api#12', '--json'], {env, cwd: sb.dir})).stdout)
    expect(block).to.include({state: 'queued', active: true, job_state: 'PENDING'})

    // A queued Slurm worker holds its ref and claims, from either runner.
    const checkout = path.join(sb.workspace, 'acme', 'api')
    const conflicts = await runCli(['sidequests', 'conflicts', path.join(checkout, 'src', 'a.ts'), '--json'], {env, cwd: sb.dir})
    expect(conflicts.code).to.equal(1)
    expect(JSON.parse(conflicts.stdout)[0]).to.include({ref: 'acme/api#12', claim: 'src', reason: 'ancestor'})
    const dup = await runCli(['headless', 'acme/api#12', '--runner', 'local'], {env, cwd: sb.dir})
    expect(dup.code, dup.stderr).to.equal(3)
    expect(dup.stderr).to.include('already has an active worker')
    const claim = await runCli(['headless', 'acme/api#13', '--runner=local', '--claims', 'src/auth'], {env, cwd: sb.dir})
    expect(claim.code, claim.stderr).to.equal(3)
    expect(claim.stderr).to.match(/Claim src\/auth in acme\/api overlaps src/)
    // maxActive is 1 and one Slurm worker is queued: a local worker still starts.
    const local = await runCli(['headless', '--runner', 'local', 'acme/api#13'], {env: {...env, STANDIN_HOLD_FILE: ''}, cwd: sb.dir})
    expect(local.code, local.stderr).to.equal(0)

    const stop = await runCli(['stop', 'acme/api#12', '--json'], {env, cwd: sb.dir})
    expect(stop.code, stop.stderr).to.equal(0)
    expect(JSON.parse(stop.stdout)[0]).to.include({outcome: 'cancelled', job_id: queued.job_id, ref: 'acme/api#12'})
    expect(await jobState(queued.job_id)).to.equal('CANCELLED')
    const stopped = records(sb).find((r) => r.job_id === queued.job_id)!
    expect(stopped).to.include({stopped: true})
    expect(stopped.ended_at).to.be.a('string')
    // The spec file with the token never reached a job: stop removed it.
    expect(filesUnder(path.join(sb.stateDir, 'slurm'))).to.deep.equal([])
    const after = JSON.parse((await runCli(['sidequests', 'list', '--json'], {env, cwd: sb.dir})).stdout)
    expect(after.map((r: {ref: string}) => r.ref)).to.not.include('acme/api#12')
  })

  it('stops a running job SIGINT first, and no token is in the job script, scontrol show job, or any file after start', async () => {
    const res = await runCli(['headless', 'acme/api#12'], {env, cwd: sb.dir})
    expect(res.code, res.stderr).to.equal(0)
    const running = await waitFor('the job to run claude', () => records(sb).find((r) => r.pid > 0), 30_000)
    expect(running.node).to.equal(slurm.cluster().node)
    await waitFor('the stand-in to reply', () => readFileSync(running.log_path, 'utf8').includes('"type":"assistant"'), 30_000)

    const c = slurm.cluster()
    const script = await c.client('scontrol', 'write', 'batch_script', running.job_id, '-')
    expect(script).to.include('slurm-job')
    const show = await c.client('scontrol', 'show', 'job', '-dd', running.job_id)
    for (const text of [script, show]) expect(text).to.not.include(TOKEN)
    for (const dir of [sb.dir, c.stateSave]) {
      // (The stand-in's own notes of its environment hold the token on purpose.)
      for (const file of filesUnder(dir).filter((f) => !path.join(dir, f).startsWith(sb.recordDir))) expect(readFileSync(path.join(dir, file), 'latin1'), file).to.not.include(TOKEN)
    }
    expect(filesUnder(path.join(sb.stateDir, 'slurm'))).to.deep.equal([])

    const list = await runCli(['sidequests', 'list'], {env, cwd: sb.dir})
    expect(list.stdout).to.match(new RegExp(`acme/api#12\\s+headless\\s+slurm:${running.job_id}`))
    const stop = await runCli(['stop', 'acme/api#12', '--json'], {env, cwd: sb.dir})
    expect(stop.code, stop.stderr).to.equal(0)
    // The stand-in, like Claude Code, answers SIGINT with an error result and exit 0.
    expect(JSON.parse(stop.stdout)[0]).to.include({outcome: 'stopped', signal: 'SIGINT', job_id: running.job_id, exit_code: 0})
    const ended = records(sb)[0]
    expect(ended).to.include({stopped: true, exit_code: 0})
    const block = JSON.parse((await runCli(['status', 'acme/api#12', '--json'], {env, cwd: sb.dir})).stdout)
    expect(block).to.include({state: 'stopped', active: false, job_state: 'COMPLETED'})
  })

  it('reports a job that fails at start with its log tail (--wait-start), and the scheduler state after', async () => {
    const res = await runCli(['headless', 'acme/api#12', '--wait-start'], {env: {...env, STANDIN_MODE: 'crash'}, cwd: sb.dir})
    expect(res.code, res.stderr).to.equal(1)
    expect(res.stderr).to.match(/Slurm job \d+\) failed to start: the job ended FAILED \(NonZeroExitCode\) with exit code \d+/)
    expect(res.stderr).to.include('simulated crash at start')
    const block = JSON.parse((await runCli(['status', 'acme/api#12', '--json'], {env, cwd: sb.dir})).stdout)
    expect(block).to.include({active: false, job_state: 'FAILED', state: 'exited'})
    expect(block.exit_code).to.be.above(0)
  })
})
