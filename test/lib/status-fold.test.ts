import {expect} from 'chai'

import type {SidequestRecord} from '../../src/lib/registry/index.js'
import {chainLabel, foldAttempts, selectRecent, toEntry} from '../../src/lib/status.js'
import {renderStatusList, renderWorkerBlock} from '../../src/lib/views/workers.js'

const now = new Date('2026-03-01T12:00:00Z')
const base = {schema_version: 1, pid_start_time: null, mode: 'headless', forge: 'github', url: '', title: 't', parent_session: null, paths_claimed: [], cwd: '/wt', branch: 'b', log_path: null, cascade_depth: 0, claude_session_id: null}
const rec = (pid: number, ref: string, startedAt: string, end: {exit_code?: number; ended_at?: string} = {ended_at: startedAt, exit_code: 0}) =>
  toEntry({...base, pid, ref, started_at: startedAt, ...end} as unknown as SidequestRecord, now)

describe('status: one row per issue, its attempts folded in', () => {
  const six = [rec(11, 'acme/api#6', '2026-03-01T09:00:00Z', {ended_at: '2026-03-01T09:10:00Z', exit_code: 1}), rec(12, 'ACME/api#6', '2026-03-01T11:40:00Z'), rec(13, 'acme/api#6', '2026-03-01T11:50:00Z', {ended_at: '2026-03-01T11:55:00Z', exit_code: 0})]
  const other = rec(20, 'acme/web#2', '2026-03-01T11:45:00Z')
  const old = rec(30, 'acme/old#1', '2026-02-01T00:00:00Z')

  it('folds the runs of an issue (owner/repo in any case) into its newest, newest issue first', () => {
    const folded = foldAttempts([...six, other, old])
    expect(folded.map((e) => [e.pid, e.ref, e.attempts])).to.deep.equal([[13, 'acme/api#6', 3], [20, 'acme/web#2', 1], [30, 'acme/old#1', 1]])
    expect(folded[0].earlier_attempts).to.deep.equal([
      {pid: 12, state: 'exited', exit_code: 0, started_at: '2026-03-01T11:40:00Z', ended_at: '2026-03-01T11:40:00Z'},
      {pid: 11, state: 'exited', exit_code: 1, started_at: '2026-03-01T09:00:00Z', ended_at: '2026-03-01T09:10:00Z'},
    ])
    expect(folded[1].earlier_attempts).to.deep.equal([])
  })

  it('the window selects issues with a run in it, and counts every attempt of them', () => {
    const hour = 3_600_000
    expect(selectRecent([...six, other, old], now, hour, false).map((e) => [e.pid, e.attempts])).to.deep.equal([[13, 3], [20, 1]])
    expect(selectRecent([...six, other, old], now, hour, true).map((e) => e.pid)).to.deep.equal([13, 20, 30])
    expect(selectRecent([old], now, hour, false)).to.deep.equal([])
  })
})

describe('status: a watched issue\'s runs, with attempt and round', () => {
  const watched = (pid: number, startedAt: string, chain: Partial<SidequestRecord>) => toEntry({...base, pid, ref: 'acme/api#7', started_at: startedAt, ended_at: startedAt, exit_code: 1, watched: true, ...chain} as unknown as SidequestRecord, now)
  const runs = [
    watched(41, '2026-03-01T11:00:00Z', {attempt: 1, round: 0, continues: null, continuation: null}),
    watched(42, '2026-03-01T11:10:00Z', {attempt: 2, round: 0, continues: '41', continuation: 'retry'}),
    watched(43, '2026-03-01T11:20:00Z', {attempt: 1, round: 1, continues: '42', continuation: 'checks'}),
  ]

  it('groups the resumed runs under the issue, each with its attempt and round (JSON: attempt, round)', () => {
    const [e] = foldAttempts(runs)
    expect([e.pid, e.attempts, e.attempt, e.round]).to.deep.equal([43, 3, 1, 1])
    expect(e.earlier_attempts.map((a) => [a.pid, a.attempt, a.round])).to.deep.equal([[42, 2, 0], [41, 1, 0]])
    // A run watch did not start has neither key.
    expect(foldAttempts([rec(9, 'acme/api#9', '2026-03-01T11:00:00Z')])[0]).not.to.have.any.keys('attempt', 'round')
  })

  it('labels a watched run a<attempt>/r<round>, and no other run', () => {
    expect(runs.map((r) => chainLabel(r))).to.deep.equal(['a1/r0', 'a2/r0', 'a1/r1'])
    expect(chainLabel(rec(9, 'acme/api#9', '2026-03-01T11:00:00Z'))).to.equal(undefined)
  })

  it('shows it in the list (REF on a terminal, a RUN column last when piped) and in the worker block', () => {
    const rows = foldAttempts(runs)
    const tty = renderStatusList(rows, false, {tty: true, width: 200, now}).stdout
    expect(tty).to.include('acme/api#7 ×3 a1/r1')
    const piped = renderStatusList(rows, false, {tty: false, now}).stdout.split('\n')
    expect(piped[0].split('\t').slice(-2)).to.deep.equal(['3', 'a1/r1'])
    // Without watched runs the piped columns stay as they were: ATTEMPTS last.
    expect(renderStatusList(foldAttempts([rec(9, 'acme/api#9', '2026-03-01T11:00:00Z')]), false, {tty: false, now}).stdout.trimEnd().split('\t').at(-1)).to.equal('1')
    const block = renderWorkerBlock(rows[0], {tty: false, now, color: false, following: false})
    expect(block).to.match(/^watch {5}attempt 1 of round 1, for the checks of 42$/m)
  })
})
