import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {startFakeForge} from '../support/fake-forge.mjs'
import {BIN, filesUnder, git, isAlive, killQuietly, killTmux, makeRepo, makeSandbox, processesIn, runCli, startCli, waitFor, writeConfig, type Sandbox} from '../support/helpers.js'
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
    // Only this test's jobs: the one from before() runs on through the other tests.
    const live = async () => (await slurm.cluster().client('squeue', '-h', '-t', 'PENDING,RUNNING,COMPLETING', '-o', '%i')).split('\n').filter((id) => ids.includes(id.trim()))
    await waitFor('the jobs to leave the node', async () => (await live()).length === 0, 60_000).catch(() => {})
    // Local workers some tests start beside the Slurm ones finish too (their supervisors write the
    // end of the run into the state dir): the sandbox goes only once nothing writes there.
    const local = new Set(records(sb).flatMap((r) => [r.pid, r.supervisor_pid]).filter((p): p is number => typeof p === 'number' && p > 0))
    for (const p of processesIn(sb.dir)) local.add(p)
    await waitFor('local workers to exit', () => [...local].every((p) => !isAlive(p)), 20_000).catch(() => killQuietly(local))
    await forge.close()
    sb.cleanup()
  })

  // The time limit is a minute at least, and slurmctld checks limits every 30 s: this worker starts
  // first, and the last test looks at how it ended, so the wait overlaps the other tests.
  let timed: {sb: Sandbox; forge: FakeForge; jobId: string} | undefined
  before(async function () {
    const f = await startFakeForge()
    const s = makeSandbox()
    makeRepo(s, 'acme', 'api')
    f.addIssue({owner: 'acme', repo: 'api', number: 20, title: 'A long one'})
    writeConfig(s, {github: f.github}, {runner: {kind: 'slurm', slurm: {timeLimit: 1}}})
    const res = await runCli(['headless', 'acme/api#20'], {env: {...s.env, ...slurm.cluster().env, STANDIN_HOLD_FILE: path.join(s.dir, 'never')}, cwd: s.dir})
    expect(res.code, res.stderr).to.equal(0)
    timed = {sb: s, forge: f, jobId: records(s)[0].job_id}
  })
  after(async () => {
    if (!timed) return
    // (The cluster may be stopped already, which ends the job too.)
    await Promise.resolve()
      .then(() => slurm.cluster().client('scancel', timed!.jobId))
      .catch(() => {})
    await timed.forge.close()
    timed.sb.cleanup()
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
    await waitFor('the scheduler to see the job complete', async () => (await jobState(first.job_id)) === 'COMPLETED')

    const list = JSON.parse((await runCli(['sidequests', 'list', '--all', '--json'], {env, cwd: sb.dir})).stdout)
    expect(list[0]).to.include({job_id: first.job_id, runner: 'slurm', job_state: 'COMPLETED', exit_code: 0})

    // The job has ended: attach resumes its session here, in the worktree on the shared storage.
    const tty: NodeJS.ProcessEnv = {...env, TMUX_TMPDIR: sb.dir, STANDIN_HOLD_FILE: ''}
    delete tty.TMUX
    const tmux = (...args: string[]) => execFileSync('tmux', args, {env: tty, encoding: 'utf8'}).trim()
    try {
      tmux('new-session', '-d', '-s', 'att', '-x', '200', '-y', '50')
      const done = path.join(sb.dir, 'done')
      tmux('send-keys', '-t', 'att', `${process.execPath} ${BIN} attach acme/api#12; echo "code=$?" > ${done}`, 'Enter')
      await waitFor('attach to finish', () => existsSync(done) && readFileSync(done, 'utf8').includes('code='))
      expect(readFileSync(done, 'utf8').trim()).to.equal('code=0')
      expect(standIns(sb).some((s) => s.argv.includes('--resume') && s.argv.includes(ended.claude_session_id) && s.cwd === ended.cwd)).to.equal(true)
    } finally {
      killTmux(tty)
    }
  })

  it('a job is never requeued: scontrol requeue is refused and the worker keeps running (its spec file is gone once it started)', async () => {
    const res = await runCli(['headless', 'acme/api#12'], {env, cwd: sb.dir})
    expect(res.code, res.stderr).to.equal(0)
    const running = await waitFor('the worker to run on the node', () => records(sb).find((r) => r.pid > 0), 60_000)
    const refused = await slurm
      .cluster()
      .client('scontrol', 'requeue', running.job_id)
      .then(
        () => undefined,
        (error: Error) => error.message,
      )
    expect(refused, 'scontrol requeue succeeded').to.be.a('string')
    expect(await jobState(running.job_id)).to.equal('RUNNING')
    expect(readdirSync(path.join(sb.stateDir, 'slurm')).filter((n) => n.startsWith('spec-'))).to.deep.equal([])
  })

  it('Ctrl-C in a fan-out right after a job was queued reports that issue as started, with its job', async () => {
    writeConfig(sb, {github: forge.github}, {runner: {kind: 'slurm', slurm: {extraArgs: ['--hold']}}})
    const run = startCli(['headless', 'acme/api#12', 'acme/api#13', '--json'], {env: {...env, DISPATCH_FAULT_PAUSE: 'after-record'}, cwd: sb.dir})
    await waitFor('the first job to be queued', () => existsSync(path.join(sb.stateDir, 'fault-after-record')), 60_000)
    const [queued] = records(sb)
    process.kill(run.pid, 'SIGINT')
    const res = await run.done
    expect(res.code, res.stderr).to.equal(130)
    const items = JSON.parse(res.stdout) as Array<{ref: string; outcome: string; worker?: {job_id?: string}}>
    expect(items.map((i) => [i.ref, i.outcome])).to.deep.equal([
      ['acme/api#12', 'started'],
      ['acme/api#13', 'skipped'],
    ])
    expect(items[0].worker).to.include({job_id: queued.job_id})
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
    expect(JSON.parse(conflicts.stdout)[0]).to.include({ref: 'acme/api#12', claim: 'src', reason: 'ancestor', pid: 0, job_id: queued.job_id, runner: 'slurm'})
    const human = await runCli(['sidequests', 'conflicts', path.join(checkout, 'src', 'a.ts')], {env, cwd: sb.dir})
    expect(human.stdout).to.include(`acme/api#12 (Slurm job ${queued.job_id}) claims a parent of`)
    const dup = await runCli(['headless', 'acme/api#12', '--runner', 'local'], {env, cwd: sb.dir})
    expect(dup.code, dup.stderr).to.equal(3)
    expect(dup.stderr).to.include(`already has an active worker (Slurm job ${queued.job_id}, headless`)
    const claim = await runCli(['headless', 'acme/api#13', '--runner=local', '--claims', 'src/auth'], {env, cwd: sb.dir})
    expect(claim.code, claim.stderr).to.equal(3)
    expect(claim.stderr).to.match(/Claim src\/auth in acme\/api overlaps src/)
    // maxActive is 1 and one Slurm worker is queued: a local worker still starts.
    const local = await runCli(['headless', '--runner', 'local', 'acme/api#13'], {env: {...env, STANDIN_HOLD_FILE: ''}, cwd: sb.dir})
    expect(local.code, local.stderr).to.equal(0)

    // A queued worker is busy in its worktree: reap keeps it for that reason.
    const kept = JSON.parse((await runCli(['reap', '--json'], {env, cwd: sb.dir})).stdout)
    const busy = kept.find((e: {path: string}) => e.path === queued.cwd)
    expect(busy, JSON.stringify(busy)).to.include({action: 'kept'})
    expect(busy.reason).to.equal(`active Slurm job ${queued.job_id} (acme/api#12)`)

    const attach = await runCli(['attach', 'acme/api#12'], {env, cwd: sb.dir})
    expect(attach.code, attach.stderr).to.equal(3)
    expect(attach.stderr).to.include(`(Slurm job ${queued.job_id}) is queued; attach once it has stopped`)

    // Until the job runs, its environment waits in a file only this user can read.
    const [spec] = filesUnder(path.join(sb.stateDir, 'slurm'))
    expect(statSync(path.join(sb.stateDir, 'slurm', spec)).mode & 0o777).to.equal(0o600)
    expect(statSync(path.join(sb.stateDir, 'slurm')).mode & 0o777).to.equal(0o700)
    expect(queued.job_spec_file).to.equal(path.join(sb.stateDir, 'slurm', spec))

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
    // Stopped, it no longer holds the worktree (a branch without commits is kept for its own reason).
    const reaped = JSON.parse((await runCli(['reap', '--json'], {env, cwd: sb.dir})).stdout)
    expect(reaped.find((e: {path: string}) => e.path === queued.cwd).reason).to.not.include('acme/api#12')
  })

  it('stops a running job SIGINT first, and no token is in the job script, scontrol show job, or any file after start', async () => {
    const res = await runCli(['headless', 'acme/api#12'], {env, cwd: sb.dir})
    expect(res.code, res.stderr).to.equal(0)
    const running = await waitFor('the job to run claude', () => records(sb).find((r) => r.pid > 0))
    expect(running.node).to.equal(slurm.cluster().node)
    await waitFor('the stand-in to reply', () => readFileSync(running.log_path, 'utf8').includes('"type":"assistant"'))

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
    expect(res.stderr, res.stderr).to.match(/Slurm job \d+\) failed to start: the job ended FAILED \(NonZeroExitCode\) with exit code \d+/)
    expect(res.stderr).to.include('simulated crash at start')
    const block = JSON.parse((await runCli(['status', 'acme/api#12', '--json'], {env, cwd: sb.dir})).stdout)
    expect(block).to.include({active: false, job_state: 'FAILED', state: 'exited'})
    expect(block.exit_code).to.be.above(0)
  })

  it('waits with --wait-start until a held job runs and the model replies', async () => {
    writeConfig(sb, {github: forge.github}, {runner: {kind: 'slurm', slurm: {extraArgs: ['--hold']}}})
    const cli = startCli(['headless', '--wait-start', 'acme/api#12'], {env, cwd: sb.dir})
    const held = await waitFor('the job to be submitted', () => records(sb)[0])
    expect(await jobState(held.job_id)).to.equal('PENDING')
    await slurm.cluster().client('scontrol', 'release', held.job_id)
    const res = await cli.done
    expect(res.code, res.stderr).to.equal(0)
    expect(res.stderr).to.include('(the model replied)')
    expect(records(sb)[0].pid).to.be.above(0)
  })

  it('follows a running job with status --follow until it is stopped', async () => {
    expect((await runCli(['headless', 'acme/api#12'], {env, cwd: sb.dir})).code).to.equal(0)
    const running = await waitFor('the job to run claude', () => records(sb).find((r) => r.pid > 0))
    await waitFor('the stand-in to reply', () => readFileSync(running.log_path, 'utf8').includes('"type":"assistant"'))
    const follow = startCli(['status', 'acme/api#12', '--follow'], {env, cwd: sb.dir})
    await waitFor('follow to print the tail', () => follow.stdout().includes('I will read the issue'))
    expect((await runCli(['stop', 'acme/api#12'], {env, cwd: sb.dir})).code).to.equal(0)
    const res = await follow.done
    expect(res.code, res.stderr).to.equal(0)
    // The job records its end (the stand-in answers SIGINT with exit 0) before stop marks it stopped.
    expect(res.stdout, res.stdout).to.match(/acme\/api#12 (EXITED 0|STOPPED)/)
  })

  it('asks squeue once per command, however many Slurm records there are, and sacct once about jobs it forgot without an end (none here: the records judge)', async () => {
    writeConfig(sb, {github: forge.github}, {runner: {kind: 'slurm', slurm: {extraArgs: ['--hold']}}})
    expect((await runCli(['headless', 'acme/api#12', '--claims', 'src'], {env, cwd: sb.dir})).code).to.equal(0)
    const [held] = records(sb)
    // 300 more records of jobs the scheduler no longer knows (their end was never written).
    for (let i = 0; i < 300; i++) {
      const r = {...held, ref: `acme/api#${1000 + i}`, job_id: String(900_000 + i), paths_claimed: []}
      writeFileSync(path.join(sb.stateDir, 'sidequests', `slurm-${r.job_id}.json`), JSON.stringify(r), {mode: 0o600})
    }
    // A squeue that counts its calls before doing the real thing.
    const bin = path.join(sb.dir, 'bin')
    const calls = path.join(sb.dir, 'squeue-calls')
    mkdirSync(bin)
    const real = execFileSync('sh', ['-c', 'command -v squeue'], {encoding: 'utf8'}).trim()
    writeFileSync(path.join(bin, 'squeue'), `#!/bin/sh\necho x >> ${calls}\nexec ${real} "$@"\n`, {mode: 0o755})
    // The same for sacct, with its exit code: the 300 jobs are forgotten without an end, so accounting is asked about
    // them, once; this cluster has none, so sacct fails and the records judge.
    const sacctCalls = path.join(sb.dir, 'sacct-calls')
    const realSacct = execFileSync('sh', ['-c', 'command -v sacct'], {encoding: 'utf8'}).trim()
    writeFileSync(path.join(bin, 'sacct'), `#!/bin/sh\n${realSacct} "$@" >/dev/null 2>&1\necho "exit=$?" >> ${sacctCalls}\n`, {mode: 0o755})
    const counted = {...env, PATH: `${bin}:${env.PATH}`}
    const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [])
    for (const args of [['sidequests', 'list', '--json'], ['sidequests', 'list', '--all', '--json'], ['status', '--json'], ['sidequests', 'conflicts', path.join(sb.workspace, 'acme', 'api', 'src')]]) {
      rmSync(calls, {force: true})
      rmSync(sacctCalls, {force: true})
      const res = await runCli(args, {env: counted, cwd: sb.dir})
      expect(res.code, res.stderr).to.be.oneOf([0, 1])
      expect(lines(calls), args.join(' ')).to.have.length(1)
      expect(lines(sacctCalls), args.join(' ')).to.have.length(1)
      expect(lines(sacctCalls)[0]).to.not.equal('exit=0')
    }
    const all = JSON.parse((await runCli(['sidequests', 'list', '--all', '--json'], {env, cwd: sb.dir})).stdout)
    expect(all.find((r: {job_id: string}) => r.job_id === '900000')).to.include({job_state: null})
    const list = JSON.parse((await runCli(['sidequests', 'list', '--json'], {env, cwd: sb.dir})).stdout)
    expect(list.map((r: {job_id: string}) => r.job_id)).to.deep.equal([held.job_id])
  })

  it('fans out 20 issues by label onto the cluster: closed and duplicates (queued Slurm, running local) refused, the rest queued past maxActive; exit 3', async () => {
    // Held jobs stay PENDING, as on a full cluster; maxActive 1 is taken by a local worker.
    writeConfig(sb, {github: forge.github}, {maxActive: 1, runner: {kind: 'slurm', slurm: {extraArgs: ['--hold']}}})
    for (let n = 30; n <= 48; n++) forge.addIssue({owner: 'acme', repo: 'api', number: n, title: `Task ${n}`, labels: ['ready']})
    // Closed after the list was read.
    forge.addIssue({owner: 'acme', repo: 'api', number: 49, title: 'Task 49', labels: ['ready'], state: 'closed', listState: 'open'})
    const queuedBefore = await runCli(['headless', 'acme/api#48', '--claims', 'src'], {env, cwd: sb.dir})
    expect(queuedBefore.code, queuedBefore.stderr).to.equal(0)
    const local = await runCli(['headless', 'acme/api#47', '--runner=local'], {env, cwd: sb.dir})
    expect(local.code, local.stderr).to.equal(0)

    const res = await runCli(['headless', '--label', 'ready', '--repo=acme/api', '--json'], {env, cwd: sb.dir})
    expect(res.code, res.stderr).to.equal(3)
    const out: Array<{ref: string; outcome: string; worker?: Record<string, any>; error?: {message: string}}> = JSON.parse(res.stdout)
    expect(out.map((e) => e.ref)).to.deep.equal(Array.from({length: 20}, (_, i) => `acme/api#${49 - i}`))
    const by = (n: number) => out.find((e) => e.ref === `acme/api#${n}`)!
    expect(by(49)).to.include({outcome: 'refused'})
    expect(by(49).error!.message).to.match(/acme\/api#49 is closed/)
    for (const n of [48, 47]) {
      expect(by(n).outcome).to.equal('refused')
      expect(by(n).error!.message).to.match(/already has an active worker/)
    }
    const queued = out.filter((e) => e.outcome === 'started')
    expect(queued.map((e) => e.ref)).to.deep.equal(Array.from({length: 17}, (_, i) => `acme/api#${46 - i}`))
    for (const e of queued) expect(e.worker).to.include({runner: 'slurm', health: 'queued', pid: 0}).and.have.property('job_id').that.match(/^\d+$/)
    expect(res.stdout).not.to.include('maxActive')
    // The scheduler holds every one of them, queued.
    const ids = queued.map((e) => e.worker!.job_id)
    const states = (await slurm.cluster().client('squeue', '-h', `--jobs=${ids.join(',')}`, '-o', '%i %T')).trim().split('\n').sort()
    expect(states).to.deep.equal(ids.map((id) => `${id} PENDING`).sort())

    // Claims are per repository: a claim the queued #48 holds in acme/api refuses acme/api#12, not acme/web#5; one line per issue.
    makeRepo(sb, 'acme', 'web')
    forge.addIssue({owner: 'acme', repo: 'web', number: 5, title: 'Web task'})
    const lines = await runCli(['headless', 'acme/web#5', '--claims=src/auth', 'acme/api#12'], {env, cwd: sb.dir})
    expect(lines.code, lines.stderr).to.equal(3)
    expect(lines.stdout).to.match(/^started +acme\/web#5 +Slurm job \d+ +dispatch\/issue-5-web-task +\(queued in Slurm\)\nrefused +acme\/api#12 +Claim src\/auth in acme\/api overlaps src \(ancestor\), claimed by Slurm job \d+ working on acme\/api#48\.\n$/)
    expect(lines.stderr).to.include('Started 1 headless worker for 2 issues; 1 refused.')
  })

  it('the spec file of a job that ended without reading it goes at the next registry read; prune takes left-over ones; a queued job keeps its', async () => {
    writeConfig(sb, {github: forge.github}, {runner: {kind: 'slurm', slurm: {extraArgs: ['--hold']}}})
    for (const ref of ['acme/api#12', 'acme/api#13']) expect((await runCli(['headless', ref], {env, cwd: sb.dir})).code).to.equal(0)
    const [gone, waiting] = ['acme/api#12', 'acme/api#13'].map((ref) => records(sb).find((r) => r.ref === ref)!)
    // Someone else cancels the queued job: it never runs, so it never deletes its spec file (which holds the token).
    await slurm.cluster().client('scancel', gone.job_id)
    await waitFor('the job to be cancelled', async () => (await jobState(gone.job_id)) === 'CANCELLED')
    expect(readFileSync(gone.job_spec_file, 'utf8')).to.include(TOKEN)
    // Any command that reads the registry hears from the scheduler that the job ended, and removes the file.
    const list = await runCli(['sidequests', 'list', '--all'], {env, cwd: sb.dir})
    expect(list.code, list.stderr).to.equal(0)
    expect(existsSync(gone.job_spec_file)).to.equal(false)
    // A spec file no record names: a dispatch may be submitting it; an hour-old one is left over.
    const slurmDir = path.join(sb.stateDir, 'slurm')
    const [fresh, old] = ['spec-0f0f.json', 'spec-0e0e.json'].map((n) => path.join(slurmDir, n))
    for (const f of [fresh, old]) writeFileSync(f, '{}', {mode: 0o600})
    utimesSync(old, new Date(Date.now() - 2 * 3600_000), new Date(Date.now() - 2 * 3600_000))

    const dry = await runCli(['sidequests', 'prune', '--dry-run', '--json'], {env, cwd: sb.dir})
    expect(JSON.parse(dry.stdout).spec_files_removed).to.deep.equal([old])
    expect(existsSync(old)).to.equal(true)
    const res = await runCli(['sidequests', 'prune', '--json'], {env, cwd: sb.dir})
    expect(res.code, res.stderr).to.equal(0)
    expect(JSON.parse(res.stdout).spec_files_removed).to.deep.equal([old])
    expect(filesUnder(slurmDir).sort()).to.deep.equal([path.basename(fresh), path.basename(waiting.job_spec_file)].sort())
  })

  it('doctor checks the Slurm tools, the controller and the shared roots only for the Slurm runner', async () => {
    mkdirSync(sb.stateDir, {recursive: true})
    const checks = async (args: string[], e = env) => JSON.parse((await runCli(['doctor', '--json', ...args], {env: e, cwd: sb.dir})).stdout).checks as Array<{name: string; status: string; detail: string}>
    const slurmOnes = (all: Array<{name: string}>) => all.filter((c) => c.name.startsWith('Slurm'))
    const ok = await checks([])
    expect(ok.find((c) => c.name === 'Slurm tools')).to.include({status: 'ok'})
    expect(ok.find((c) => c.name === 'Slurm controller')).to.include({status: 'ok'})
    expect(ok.find((c) => c.name === 'Slurm state dir')).to.include({status: 'ok'})
    // The worktree root does not exist yet: a node could not use it.
    expect(ok.find((c) => c.name === 'Slurm worktree root')).to.include({status: 'fail'})
    expect(slurmOnes(await checks(['--runner', 'local']))).to.deep.equal([])
    const down = await checks([], {...env, SLURM_CONF: path.join(sb.dir, 'no-such.conf')})
    expect(down.find((c) => c.name === 'Slurm controller')).to.include({status: 'fail'})
    writeConfig(sb, {github: forge.github})
    expect(slurmOnes(await checks([]))).to.deep.equal([])
    expect(slurmOnes(await checks(['--runner=slurm'])).map((c) => c.name)).to.include('Slurm controller')
  })

  it('reports a job Slurm refuses, leaving no record and no spec file', async () => {
    writeConfig(sb, {github: forge.github}, {runner: {kind: 'slurm', slurm: {partition: 'no-such-partition'}}})
    const res = await runCli(['headless', 'acme/api#12'], {env, cwd: sb.dir})
    expect(res.code, res.stderr).to.equal(1)
    expect(res.stderr).to.include('Slurm did not accept the job for acme/api#12').and.include('no-such-partition')
    expect(records(sb)).to.deep.equal([])
    expect(filesUnder(path.join(sb.stateDir, 'slurm'))).to.deep.equal([])
  })

  it('reports a job its time limit ended as TIMEOUT', async function () {
    this.timeout(150_000)
    const {sb: s, jobId} = timed!
    const env2 = {...s.env, ...slurm.cluster().env}
    await waitFor('the time limit', async () => (await jobState(jobId)) === 'TIMEOUT', 120_000)
    const block = JSON.parse((await runCli(['status', 'acme/api#20', '--json'], {env: env2, cwd: s.dir})).stdout)
    expect(block).to.include({job_state: 'TIMEOUT', active: false, job_id: jobId})
    expect(block.ended_at).to.be.a('string')
    const human = await runCli(['status', '--all'], {env: env2, cwd: s.dir})
    expect(human.stdout).to.match(/TIMEOUT\s+slurm:\d+\s+acme\/api#20/)
  })
})
