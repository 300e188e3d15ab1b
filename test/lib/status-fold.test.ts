import {expect} from 'chai'

import type {SidequestRecord} from '../../src/lib/registry/index.js'
import {foldAttempts, selectRecent, toEntry} from '../../src/lib/status.js'

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
