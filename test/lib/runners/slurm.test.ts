import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {admit} from '../../../src/lib/dispatch/admit.js'
import {interruptedError} from '../../../src/lib/interrupt.js'
import {Registry, isActive, recordKey, workerState, type SidequestRecord} from '../../../src/lib/registry/index.js'
import {decodeWaitStatus, parseSacct, parseSqueue, SQUEUE_FORMAT, type JobInfo, type JobScheduler} from '../../../src/lib/runners/slurm-scheduler.js'
import {jobName, jobScript, sbatchArgs, sbatchEnv} from '../../../src/lib/runners/slurm.js'
import {ORPHAN_SPEC_AGE_MS, staleSpecFiles} from '../../../src/lib/runners/slurm-specs.js'
import {stateLabel} from '../../../src/lib/views/workers.js'
import {ROOT} from '../../support/helpers.js'

/** A squeue line as `squeue -h -O SQUEUE_FORMAT` pads it. */
function squeueLine(fields: string[]): string {
  const widths = SQUEUE_FORMAT.split(',').map((f) => Number(f.split(':')[1]))
  return fields.map((f, i) => f.padEnd(widths[i])).join('')
}

const base = {
  schema_version: 2,
  mode: 'headless' as const,
  ref: 'acme/api#1',
  forge: 'github' as const,
  url: '',
  title: 't',
  started_at: '2026-01-01T00:00:00.000Z',
  parent_session: null,
  paths_claimed: [],
  cwd: '/w',
  branch: 'b',
  log_path: null,
  cascade_depth: 0,
  claude_session_id: null,
}

describe('Slurm runner: pure parts', () => {
  it('parses squeue fixed-width output, an empty node list included', () => {
    const text = [
      squeueLine(['12', 'PENDING', '0', 'Unknown', 'JobHeldUser', '']),
      squeueLine(['13', 'RUNNING', '0', '2026-11-24T20:26:09', 'None', 'node7']),
      squeueLine(['14', 'FAILED', '768', '2026-11-24T19:26:09', 'NonZeroExitCode', 'node7']),
      squeueLine(['15', 'TIMEOUT', '15', '2026-11-24T19:27:09', 'TimeLimit', 'node8']),
      '',
    ].join('\n')
    const jobs = parseSqueue(text)
    expect(jobs.get('12')).to.deep.include({state: 'PENDING', reason: 'JobHeldUser', node: null, exitCode: null, endedAt: null})
    // A running job's EndTime is when its limit would end it: not an end.
    expect(jobs.get('13')).to.deep.include({state: 'RUNNING', reason: null, node: 'node7', endedAt: null, exitCode: null})
    expect(jobs.get('14')).to.deep.include({state: 'FAILED', exitCode: 3, exitSignal: null, node: 'node7'})
    expect(jobs.get('14')!.endedAt).to.equal(new Date('2026-11-24T19:26:09').toISOString())
    expect(jobs.get('15')).to.deep.include({state: 'TIMEOUT', exitCode: 143, exitSignal: 'SIGTERM'})
  })

  for (const [raw, want] of [
    [0, {exitCode: 0, exitSignal: null}],
    [256, {exitCode: 1, exitSignal: null}],
    [9, {exitCode: 137, exitSignal: 'SIGKILL'}],
    [2, {exitCode: 130, exitSignal: 'SIGINT'}],
  ] as const) {
    it(`decodes wait status ${raw}`, () => expect(decodeWaitStatus(raw)).to.deep.equal(want))
  }

  const sacct: Array<[string, string, Partial<JobInfo> | undefined]> = [
    ['a time limit', '41|TIMEOUT|0:15|2026-11-24T20:26:09|node7|TimeLimit', {state: 'TIMEOUT', exitCode: 143, exitSignal: 'SIGTERM', node: 'node7', reason: 'TimeLimit'}],
    ['cancelled by a user, never placed', '42|CANCELLED by 0|0:0|2026-11-24T20:26:09|None assigned|None', {state: 'CANCELLED', exitCode: 0, exitSignal: null, node: null, reason: null}],
    ['a failure', '43|FAILED|3:0|2026-11-24T20:26:09|node7|NonZeroExitCode', {state: 'FAILED', exitCode: 3, reason: 'NonZeroExitCode'}],
    ['out of memory, killed', '44|OUT_OF_MEMORY|0:9|Unknown|node7|None', {state: 'OUT_OF_MEMORY', exitCode: 137, exitSignal: 'SIGKILL', endedAt: null}],
    ['a node lost', '45|NODE_FAIL|1:0|2026-11-24T20:26:09|node7|None', {state: 'NODE_FAIL', exitCode: 1}],
    ['still running (squeue knows it): ignored', '46|RUNNING|0:0|Unknown|node7|None', undefined],
    ['a header or a step line: ignored', 'JobIDRaw|State|ExitCode|End|NodeList|Reason', undefined],
  ]
  for (const [what, line, want] of sacct) {
    it(`parses sacct -P: ${what}`, () => {
      const id = line.split('|')[0]
      const got = parseSacct(`${line}\n`).get(id)
      if (want === undefined) expect(got).to.equal(undefined)
      else expect(got).to.deep.include({id, ...want})
    })
  }
  it('parses sacct end times like squeue\'s (local, no zone)', () => expect(parseSacct('41|TIMEOUT|0:15|2026-11-24T20:26:09|n|None').get('41')!.endedAt).to.equal(new Date('2026-11-24T20:26:09').toISOString()))

  it('builds sbatch options from the config, with only harmless variables exported', () => {
    const args = sbatchArgs({partition: 'gpu', account: 'lab', qos: 'low', timeLimit: '1:30:00', cpus: 4, memory: '8G', extraArgs: ['--constraint=avx2']}, {name: 'dispatch-acme-api-1', cwd: '/w', logPath: '/l.log', exportVars: ['PATH', 'HOME']})
    expect(args).to.deep.equal(['--parsable', '--job-name=dispatch-acme-api-1', '--chdir=/w', '--output=/l.log', '--open-mode=append', '--no-requeue', '--export=PATH,HOME', '--partition=gpu', '--account=lab', '--qos=low', '--time=1:30:00', '--cpus-per-task=4', '--mem=8G', '--constraint=avx2'])
    expect(sbatchArgs({extraArgs: []}, {name: 'n', cwd: '/w', logPath: '/l', exportVars: []})).to.include('--export=NONE')
    // sbatch expands %j, %u, … in --output; a literal % in the path is doubled.
    expect(sbatchArgs({extraArgs: []}, {name: 'n', cwd: '/w', logPath: '/state 100%/l.log', exportVars: []})).to.include('--output=/state 100%%/l.log')
    expect(sbatchEnv({PATH: '/bin', HOME: '/h', GH_TOKEN: 'secret', FORGEJO_TOKEN: 'x', ANTHROPIC_API_KEY: 'k', SLURM_CONF: '/c'})).to.deep.equal({PATH: '/bin', HOME: '/h', SLURM_CONF: '/c'})
  })

  it('a job run again without its spec file (requeued after all) fails, saying requeue is not supported', () => {
    const job = path.join(ROOT, 'dist', 'lib', 'runners', 'slurm-job.js')
    const run = (env: Record<string, string>) => spawnSync(process.execPath, [job, '/nonexistent/spec-0a1b.json'], {encoding: 'utf8', env: {PATH: process.env.PATH, ...env}})
    const requeued = run({SLURM_JOB_ID: '42', SLURM_RESTART_COUNT: '1'})
    expect(requeued.status).to.equal(1)
    expect(requeued.stderr).to.include('Slurm job 42 was requeued, which dispatch does not support').and.include('Dispatch the issue again')
    const first = run({SLURM_JOB_ID: '43'})
    expect(first.status).to.equal(1)
    expect(first.stderr).to.include('cannot read the worker spec /nonexistent/spec-0a1b.json')
  })

  it('writes a job script that names the spec file and quotes every word', () => {
    const script = jobScript(['/usr/bin/node', '/opt/d/slurm-job.js', "/state/slurm/spec-1.json"], "acme/api#1'; rm -rf /")
    expect(script.split('\n')[0]).to.equal('#!/bin/sh')
    expect(script).to.include("exec /usr/bin/node /opt/d/slurm-job.js /state/slurm/spec-1.json")
    expect(script).to.not.include("'; rm")
    expect(jobName('acme/api#12')).to.equal('dispatch-acme-api-12')
  })

  it('names Slurm records after the job and local ones after the pid', () => {
    expect(recordKey({pid: 42, runner: 'local'})).to.equal('42')
    expect(recordKey({pid: 42})).to.equal('42')
    expect(recordKey({pid: 0, runner: 'slurm', job_id: '17'})).to.equal('slurm-17')
  })

  it('judges Slurm liveness from the job state, and the record when the scheduler forgot the job', () => {
    const slurm = (extra: Partial<SidequestRecord>): SidequestRecord => ({...base, pid: 0, pid_start_time: null, runner: 'slurm', job_id: '5', ...extra})
    expect(workerState(slurm({job_state: 'PENDING'}))).to.equal('queued')
    expect(workerState(slurm({job_state: 'RUNNING', pid: 99}))).to.equal('running')
    expect(isActive(slurm({job_state: null}))).to.equal(false)
    expect(workerState(slurm({job_state: null}))).to.equal('unknown')
    // Scheduler not asked (unreachable): not known to have ended, so it counts.
    expect(isActive(slurm({}))).to.equal(true)
    expect(isActive(slurm({ended_at: '2026-01-01T00:01:00Z'}))).to.equal(false)
    expect(stateLabel({state: 'killed', exit_signal: 'SIGTERM', job_state: 'TIMEOUT'})).to.equal('KILLED (SIGTERM) TIMEOUT')
    expect(stateLabel({state: 'queued', job_reason: 'Resources'})).to.equal('QUEUED (Resources)')
  })

  it('says an interrupted Slurm dispatch left its job with the scheduler', () => {
    expect(interruptedError('SIGINT', {pid: 0, ref: 'a/b#1', alive: false, job_id: '42'}).message).to.equal('Interrupted; Slurm job 42 keeps its place (dispatch status a/b#1, or dispatch stop a/b#1).')
    // A queued job has pid 0: the record is found by its key.
    expect(interruptedError('SIGINT', {pid: 0, ref: 'a/b#1', alive: false, job_id: '42'}).recordKey).to.equal('slurm-42')
    expect(interruptedError('SIGINT', {pid: 77, ref: 'a/b#1', alive: true}).recordKey).to.equal('77')
  })

  it('counts only local workers against maxActive', () => {
    const plan = {issue: {ref: 'acme/api#9'}, repo: 'acme/api', claims: [], claimRoots: [], checkout: {dir: '/c'}, worktree: {action: 'create', path: '/wt/acme/api/issue-9'}} as unknown as Parameters<typeof admit>[1]
    const queued = {...base, pid: 0, pid_start_time: null, runner: 'slurm' as const, job_id: '5', job_state: 'PENDING'}
    expect(() => admit([queued, {...queued, job_id: '6', ref: 'acme/api#2'}], plan, 1, false)).to.not.throw()
    expect(() => admit([{...base, pid: 7, pid_start_time: 'x', runner: 'local'}], plan, 1, false)).to.throw(/maxActive is 1/)
  })

  it('names a Slurm worker by its job in duplicate and claim refusals', () => {
    const queued = {...base, ref: 'acme/api#9', pid: 0, pid_start_time: null, runner: 'slurm' as const, job_id: '5', job_state: 'PENDING', repo: 'acme/api', paths_claimed: ['src']}
    const plan = (ref: string, claims: string[]) => ({issue: {ref}, repo: 'acme/api', claims, claimRoots: [{dir: '/c', repo: 'acme/api'}], checkout: {dir: '/c'}, worktree: {action: 'create', path: '/wt/acme/api/x'}}) as unknown as Parameters<typeof admit>[1]
    expect(() => admit([queued], plan('acme/api#9', []), 1, false)).to.throw(/already has an active worker \(Slurm job 5, headless, started /)
    expect(() => admit([queued], plan('acme/api#10', ['src/a']), 1, false)).to.throw(/overlaps src \(ancestor\), claimed by Slurm job 5 working on acme\/api#9\./)
    const local = {...queued, pid: 7, pid_start_time: 'x', runner: 'local' as const, job_id: undefined}
    expect(() => admit([local], plan('acme/api#10', ['src/a']), 1, false)).to.throw(/claimed by pid 7 working on/)
  })
})

describe('Registry with Slurm records', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'dispatch-slurm-registry-'))
    mkdirSync(path.join(dir, 'sidequests'), {recursive: true, mode: 0o700})
  })
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  const write = (name: string, record: Record<string, unknown>) => writeFileSync(path.join(dir, 'sidequests', name), JSON.stringify(record), {mode: 0o600})

  function counting(states: Record<string, Partial<JobInfo>>): JobScheduler & {calls: string[][]} {
    const calls: string[][] = []
    return {
      calls,
      async jobs(ids) {
        calls.push([...ids])
        const out = new Map<string, JobInfo>()
        for (const id of ids) if (states[id]) out.set(id, {id, state: 'RUNNING', reason: null, node: null, endedAt: null, exitCode: null, exitSignal: null, ...states[id]})
        return out
      },
    }
  }

  it('asks the scheduler once for a thousand Slurm records, and reads old records as local', async () => {
    const states: Record<string, Partial<JobInfo>> = {}
    for (let i = 1; i <= 1000; i++) {
      write(`slurm-${i}.json`, {...base, ref: `acme/api#${i}`, pid: 0, pid_start_time: null, runner: 'slurm', job_id: String(i)})
      if (i % 2 === 0) states[String(i)] = {state: i % 4 === 0 ? 'PENDING' : 'RUNNING'}
    }
    // A record from before runners existed: no runner, named after its pid (long gone).
    write('999999.json', {...base, pid: 999_999, pid_start_time: '1', ref: 'acme/api#old'})
    const scheduler = counting(states)
    const registry = new Registry({stateDir: dir, scheduler})
    const active = await registry.active()
    expect(scheduler.calls).to.have.length(1)
    expect(scheduler.calls[0]).to.have.length(1000)
    expect(active).to.have.length(500)
    expect(active.filter((r) => r.job_state === 'PENDING')).to.have.length(250)
    const all = await registry.all()
    expect(all.find((r) => r.ref === 'acme/api#old')).to.include({runner: 'local', pid: 999_999})
    // Forgotten by the scheduler and no end recorded: judged by the record, not active.
    expect(all.find((r) => r.job_id === '1')).to.include({job_state: null})
  })

  it('fills the end of a job that ended without writing one, and never writes what the scheduler said', async () => {
    write('slurm-7.json', {...base, pid: 0, pid_start_time: null, runner: 'slurm', job_id: '7'})
    const registry = new Registry({stateDir: dir, scheduler: counting({'7': {state: 'NODE_FAIL', endedAt: '2026-01-01T00:05:00.000Z', exitCode: 137, exitSignal: 'SIGKILL'}})})
    const r = (await registry.get('slurm-7'))!
    expect(r).to.include({job_state: 'NODE_FAIL', ended_at: '2026-01-01T00:05:00.000Z', exit_code: 137})
    expect(workerState(r)).to.equal('killed')
    const updated = await registry.update('slurm-7', {stopped: true})
    expect(updated).to.not.have.property('job_state')
  })

  it('asks accounting (once) only about recent jobs the queue forgot without an end; without accounting the record judges', async () => {
    const recent = new Date(Date.now() - 3600_000).toISOString()
    write('slurm-7.json', {...base, started_at: recent, pid: 0, pid_start_time: null, runner: 'slurm', job_id: '7'})
    write('slurm-8.json', {...base, started_at: recent, pid: 0, pid_start_time: null, runner: 'slurm', job_id: '8'})
    // Ended in its record, or too old to ask about, or still queued: not asked.
    write('slurm-9.json', {...base, started_at: recent, pid: 0, pid_start_time: null, runner: 'slurm', job_id: '9', ended_at: new Date().toISOString(), exit_code: 0})
    write('slurm-10.json', {...base, pid: 0, pid_start_time: null, runner: 'slurm', job_id: '10'})
    write('slurm-11.json', {...base, started_at: recent, pid: 0, pid_start_time: null, runner: 'slurm', job_id: '11'})
    const history: string[][] = []
    const withAccounting = (answer: Map<string, JobInfo> | undefined): JobScheduler => ({
      jobs: counting({'11': {state: 'PENDING'}}).jobs,
      async history(ids) {
        history.push([...ids])
        return answer
      },
    })
    const timeout: JobInfo = {id: '7', state: 'TIMEOUT', reason: 'TimeLimit', node: 'n1', endedAt: '2026-11-24T20:00:00.000Z', exitCode: 143, exitSignal: 'SIGTERM'}
    const all = await new Registry({stateDir: dir, scheduler: withAccounting(new Map([['7', timeout]]))}).all()
    expect(history).to.deep.equal([['7', '8']])
    expect(all.find((r) => r.job_id === '7')).to.include({job_state: 'TIMEOUT', ended_at: '2026-11-24T20:00:00.000Z', exit_code: 143, exit_signal: 'SIGTERM', job_reason: 'TimeLimit'})
    expect(all.find((r) => r.job_id === '8')).to.include({job_state: null})
    expect(isActive(all.find((r) => r.job_id === '11')!)).to.equal(true)
    // No accounting (sacct fails): as before, the record judges.
    const without = await new Registry({stateDir: dir, scheduler: withAccounting(undefined)}).all()
    expect(without.find((r) => r.job_id === '7')).to.include({job_state: null}).and.not.have.property('exit_code')
    expect(isActive(without.find((r) => r.job_id === '7')!)).to.equal(false)
  })

  it('skips files that are not records and keeps pid-named ones working', async () => {
    write('slurm-x.json', {...base})
    write('slurm-8.json', {...base, pid: 0, runner: 'local'})
    const registry = new Registry({stateDir: dir, scheduler: counting({})})
    expect(await registry.all()).to.deep.equal([])
  })
})

describe('Slurm spec files: which ones no job will read', () => {
  const now = Date.parse('2026-11-24T20:00:00Z')
  const rec = (file: string, patch: Partial<SidequestRecord>): SidequestRecord => ({...base, pid: 0, pid_start_time: null, runner: 'slurm', job_id: '7', job_spec_file: file, ...patch})
  const cases: Array<[string, Partial<SidequestRecord> | undefined, number, boolean]> = [
    ['queued job', {job_state: 'PENDING'}, 0, false],
    ['running job that has not read it yet', {job_state: 'RUNNING'}, 0, false],
    ['scheduler could not be asked', {}, 0, false],
    ['job cancelled in the queue by someone else', {job_state: 'CANCELLED'}, 0, true],
    ['job failed before reading it', {job_state: 'FAILED'}, 0, true],
    ['scheduler forgot the job', {job_state: null}, 0, true],
    ['record ended', {job_state: 'PENDING', ended_at: '2026-11-24T19:00:00Z'}, 0, true],
    ['no record names it, fresh (a dispatch may be submitting)', undefined, 60_000, false],
    ['no record names it, over an hour old', undefined, ORPHAN_SPEC_AGE_MS, true],
  ]
  for (const [title, patch, age, stale] of cases) {
    it(`${title}: ${stale ? 'stale' : 'kept'}`, () => {
      const file = '/s/slurm/spec-aa.json'
      const records = patch ? [rec(file, patch)] : [rec('/s/slurm/spec-other.json', {job_state: 'CANCELLED'})]
      expect(staleSpecFiles([{file, mtimeMs: now - age}], records, now)).to.deep.equal(stale ? [file] : [])
    })
  }
})
