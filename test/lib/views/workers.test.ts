import {expect} from 'chai'

import type {SidequestRecord} from '../../../src/lib/registry/index.js'
import {toEntry} from '../../../src/lib/status.js'
import {renderSidequests, renderStatusList, renderWorkerBlock} from '../../../src/lib/views/workers.js'

const now = new Date('2026-03-01T12:00:00Z')
const rec = {
  schema_version: 1, pid: 4242, pid_start_time: null, mode: 'headless', ref: 'acme/api#12', forge: 'github', url: '', title: 'Fix the login',
  started_at: '2026-03-01T11:00:00Z', ended_at: '2026-03-01T11:30:00Z', exit_code: 0, parent_session: null, paths_claimed: ['src/auth'],
  cwd: '/wt/api-12', branch: 'issue-12-fix', log_path: null, cascade_depth: 0, claude_session_id: null, cost_usd: 0.5,
} as unknown as SidequestRecord
const outcome = {branch: 'issue-12-fix', ahead: 1, pushed: 'up-to-date' as const, pull_request: {number: 7, url: 'https://github.com/acme/api/pull/7', state: 'open' as const, head_sha: 'a'.repeat(40), checks: 'success' as const}, forge_error: null, summary: 'PR #7 open ✓'}
const row = {...toEntry(rec, now), last_activity: '2026-03-01T11:29:00Z', outcome}

describe('views: worker lists on a terminal and in a pipe', () => {
  const cases: Array<[string, boolean, () => {stdout: string; stderr: string}, string]> = [
    ['sidequests list on a terminal: headers, relative times, cut to the width', true, () => renderSidequests([rec], true, {tty: true, now, width: 80}),
      'REF          MODE      PID   STATE     STARTED  BRANCH        CLAIMS    TITLE\nacme/api#12  headless  4242  EXITED 0  1h ago   issue-12-fix  src/auth  Fix the l…\n'],
    ['sidequests list piped: tab-separated, ISO times, whole', false, () => renderSidequests([rec], true, {tty: false, now, width: 80}),
      'acme/api#12\theadless\t4242\tEXITED 0\t2026-03-01T11:00:00Z\tissue-12-fix\tsrc/auth\tFix the login\n'],
    ['status on a terminal at 80 columns: LAST ACTIVITY and MODE give way so the title is whole', true, () => renderStatusList([row], true, {tty: true, now, width: 80}),
      'STATE     PID   REF          STARTED  COST   OUTCOME       TITLE\nEXITED 0  4242  acme/api#12  1h ago   $0.50  PR #7 open ✓  Fix the login\n'],
    ['status on a wide terminal: every column', true, () => renderStatusList([row], true, {tty: true, now, width: 120}),
      'STATE     PID   REF          MODE      STARTED  LAST ACTIVITY  COST   OUTCOME       TITLE\nEXITED 0  4242  acme/api#12  headless  1h ago   31m ago        $0.50  PR #7 open ✓  Fix the login\n'],
    ['status at 80 columns, a long title, the longest outcome, a 7-digit pid and three attempts: COST goes and OUTCOME is cut', true,
      () => renderStatusList([{...row, pid: 1_234_567, attempts: 3, title: 'Make the login form remember the last user across restarts', outcome: {...outcome, summary: 'pushed, out of date'}}], true, {tty: true, now, width: 80}),
      'STATE     PID      REF             STARTED  OUTCOME       TITLE\nEXITED 0  1234567  acme/api#12 ×3  1h ago   pushed, out…  Make the login form r…\n'],
    ['status at 80 columns, a usual row: the title gets the 27 columns the others leave', true,
      () => renderStatusList([{...row, pid: 81_234, title: 'Make the login form remember the last user across restarts'}], true, {tty: true, now, width: 80}),
      'STATE     PID    REF          STARTED  OUTCOME       TITLE\nEXITED 0  81234  acme/api#12  1h ago   PR #7 open ✓  Make the login form rememb…\n'],
    ['status piped', false, () => renderStatusList([row], true, {tty: false, now, width: 80}),
      'EXITED 0\t4242\tacme/api#12\theadless\t2026-03-01T11:00:00Z\t2026-03-01T11:29:00Z\t$0.50\tPR #7 open ✓\tFix the login\t1\n'],
  ]
  for (const [title, , render, want] of cases) it(title, () => expect(render()).to.deep.equal({stdout: want, stderr: ''}))

  it('nothing to list: said on stderr', () => {
    expect(renderSidequests([], false, {tty: true, now})).to.deep.equal({stdout: '', stderr: 'no active sidequests\n'})
    expect(renderStatusList([], false, {tty: false, now})).to.deep.equal({stdout: '', stderr: 'no workers recorded yet. Start one with: dispatch headless owner/repo#N\n'})
    const latest = {ref: 'acme/zeta#7', started_at: '2026-02-26T10:00:00Z'}
    expect(renderStatusList([], false, {tty: false, now}, {since: '2h', latest}).stderr).to.equal(
      "no workers running or started in the last 2h; most recent: acme/zeta#7, 3 days ago (see it: dispatch status 'acme/zeta#7', or every one: dispatch status --all)\n",
    )
    expect(renderStatusList([], true, {tty: false, now}, {since: '1h', latest}).stderr).to.equal('no workers recorded\n')
  })

  for (const color of [true, false])
    it(`one worker's state ${color ? 'painted' : 'plain'}`, () => {
      const block = renderWorkerBlock(row, {tty: true, now, color, following: false})
      expect(block.split('\n')[2]).to.equal(color ? 'state     \u001b[32mEXITED 0\u001b[0m' : 'state     EXITED 0')
    })
})
