// dispatch watch with Slurm workers (issue #22), on the real one-node cluster:
// a pass queues labelled issues as batch jobs past maxActive (the scheduler
// queues them; watch.maxActive still bounds how many watch keeps), and a job
// that crashed is retried by a later pass, through Slurm again, as attempt 2.
import {expect} from 'chai'
import {writeFileSync} from 'node:fs'
import path from 'node:path'

import {useForgeSandbox, type FakeForge} from '../support/forge-sandbox.js'
import {waitFor, writeConfig, type Sandbox} from '../support/helpers.js'
import {useSlurm} from '../support/slurm.js'
import {records, standIns} from '../support/state.js'
import {of, pass, passUntil} from '../support/watch.js'

describe('dispatch watch with Slurm workers (a real one-node cluster, through the binary)', function () {
  this.timeout(300_000)
  const slurm = useSlurm(this)
  const t = useForgeSandbox({repos: ['acme/api'], hold: true, exitWaitMs: 30_000})
  let forge: FakeForge
  let sb: Sandbox
  let env: NodeJS.ProcessEnv
  const byStart = () => records(sb).sort((a, b) => Date.parse(a.started_at) - Date.parse(b.started_at))
  const jobState = async (id: string) => (await slurm.cluster().client('squeue', '-h', '--states=all', `--jobs=${id},${id}`, '-o', '%T')).trim()

  beforeEach(() => {
    ;({forge, sb} = t)
    env = {...t.env, ...slurm.cluster().env}
  })

  it('queues labelled issues as Slurm jobs past maxActive, up to watch.maxActive; the rest wait for a slot', async () => {
    for (const n of [1, 2, 3]) forge.addIssue({owner: 'acme', repo: 'api', number: n, title: `Task ${n}`, labels: ['go']})
    // Each job wants every CPU of the node: one runs, the next waits in the scheduler's queue.
    writeConfig(sb, {github: forge.github}, {
      maxActive: 1,
      runner: {kind: 'slurm', slurm: {cpus: slurm.cluster().cpus}},
      watch: {sources: [{repo: 'acme/api', label: 'go'}], maxActive: 2},
    })
    const first = await pass(env)
    const started = of(first, 'started')
    expect(started.map((e) => e.ref)).to.deep.equal(['acme/api#1', 'acme/api#2'])
    for (const e of started) expect(e.job_id).to.match(/^\d+$/)
    expect(of(first, 'waiting', 'acme/api#3')[0]).to.include({reason: 'slots'})
    const rs = byStart()
    expect(rs).to.have.length(2)
    for (const r of rs) expect(r).to.include({runner: 'slurm', watched: true, attempt: 1})
    expect(rs.map((r) => r.job_id)).to.deep.equal(started.map((e) => e.job_id))
    // Past maxActive 1: the scheduler holds the second job until the first leaves the node.
    const states = await waitFor('one job running and one queued', async () => {
      const s = (await Promise.all(rs.map((r) => jobState(r.job_id!)))).sort()
      return s.join(',') === 'PENDING,RUNNING' && s
    }, 60_000)
    expect(states).to.deep.equal(['PENDING', 'RUNNING'])

    // Still both active: a second pass starts nothing and #3 still waits.
    const second = await pass(env)
    expect(of(second, 'started').concat(of(second, 'resumed'))).to.deep.equal([])
    expect(records(sb)).to.have.length(2)
    // Released, the running job ends and the queued one gets the node and ends too.
    writeFileSync(t.release, '')
    const done = await waitFor('both jobs to record their end', () => records(sb).filter((r) => r.ended_at).length === 2 && records(sb), 120_000)
    for (const r of done) expect(r).to.include({runner: 'slurm', exit_code: 0})
  })

  it('a job that crashed is retried by a later pass through Slurm as attempt 2, continuing the first run', async () => {
    forge.addIssue({owner: 'acme', repo: 'api', number: 7, title: 'Crashy', labels: ['go']})
    writeConfig(sb, {github: forge.github}, {runner: {kind: 'slurm', slurm: {}}, watch: {sources: [{repo: 'acme/api', label: 'go'}]}})
    // The first run crashes at start; the next one replies, commits and ends.
    const script = path.join(sb.dir, 'runs.json')
    writeFileSync(script, JSON.stringify([{STANDIN_MODE: 'crash'}, {STANDIN_MODE: 'ok', STANDIN_COMMIT: '1'}]))
    env = {...env, STANDIN_SCRIPT: script, STANDIN_HOLD_FILE: ''}

    const first = await pass(env)
    expect(of(first, 'started', 'acme/api#7')[0]).to.include({attempt: 1, round: 0})
    const r1 = await waitFor('the first job to record its end', () => records(sb).find((r) => r.ended_at), 90_000)
    expect(r1).to.include({runner: 'slurm', attempt: 1, watched: true})
    expect(r1.job_id).to.match(/^\d+$/)
    expect(r1.exit_code).to.not.equal(0)
    // The stand-in printed its session before it crashed: the retry resumes it.
    expect(r1.claude_session_id).to.match(/^[0-9a-f-]{36}$/)

    // The retry waits out its back-off (10 s), then starts as a new job.
    const seen = await passUntil(env, 'acme/api#7', 'resumed', [], 180_000)
    expect(of(seen, 'ended', 'acme/api#7')[0]).to.include({end: 'crashed', attempt: 1})
    const resumed = of(seen, 'resumed', 'acme/api#7')[0]
    expect(resumed).to.include({reason: 'retry', attempt: 2, round: 0, continues: `slurm-${r1.job_id}`})
    expect(resumed.job_id).to.match(/^\d+$/).and.not.equal(r1.job_id)

    const r2 = await waitFor('the retry to record its end', () => byStart().length === 2 && byStart()[1].ended_at && byStart()[1], 90_000)
    expect(r2).to.include({runner: 'slurm', job_id: resumed.job_id, attempt: 2, round: 0, continuation: 'retry', watched: true, exit_code: 0})
    expect(r2.continues).to.equal(resumed.continues)
    expect(r2.cwd).to.equal(r1.cwd)
    expect(r2.claude_args).to.include('--resume').and.include(r1.claude_session_id)
    expect(await waitFor('the scheduler to see the retry complete', async () => (await jobState(r2.job_id!)) === 'COMPLETED' && 'COMPLETED')).to.equal('COMPLETED')
    // The retry ran in the same worktree, resumed with the retry prompt on stdin.
    const runs = standIns(sb)
    expect(runs).to.have.length(2)
    const run2 = runs.find((s) => s.argv.includes('--resume'))!
    expect(run2.argv).to.include(r1.claude_session_id)
    expect(run2.cwd).to.equal(r1.cwd)
    expect(run2.stdin).to.match(/dispatch watch resumed this session for acme\/api#7 \(attempt 2\)/)
  })
})
