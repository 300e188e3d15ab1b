import {expect} from 'chai'
import {spawn} from 'node:child_process'
import {readFileSync} from 'node:fs'

import {processStartTime} from '../../../src/lib/proc.js'
import {isActive} from '../../../src/lib/registry/liveness.js'
import type {SidequestRecord} from '../../../src/lib/registry/record.js'
import {waitFor} from '../../support/helpers.js'

const isRoot = process.getuid?.() === 0

describe('registry: liveness', () => {
  let sleeper: ReturnType<typeof spawn> | undefined
  afterEach(() => sleeper?.kill('SIGKILL'))

  const record = (pid: number, start: string | null): SidequestRecord => ({
    schema_version: 1, pid, pid_start_time: start, mode: 'headless', ref: `acme/api#${pid}`, forge: 'github', url: '', title: 't',
    started_at: new Date().toISOString(), parent_session: null, paths_claimed: ['/r'], cwd: '/r', branch: 'b', log_path: null, cascade_depth: 0, claude_session_id: null,
  })

  it('does not count a record without a start time, or naming pid 1 with a wrong one, as active', () => {
    expect(isActive(record(1, null))).to.equal(false)
    expect(isActive(record(1, '1'))).to.equal(processStartTime(1) === '1')
    expect(isActive(record(process.pid, processStartTime(process.pid)!))).to.equal(true)
  })

  it("does not count another user's process as an active worker, whatever the record says", async function () {
    if (!isRoot) this.skip()
    sleeper = spawn('sleep', ['30'], {stdio: 'ignore', uid: 65534, gid: 65534})
    const pid = sleeper.pid!
    const start = await waitFor('sleeper start time', () => processStartTime(pid))
    expect(readFileSync(`/proc/${pid}/status`, 'utf8')).to.match(/Uid:\s+65534/)
    expect(isActive(record(pid, start))).to.equal(false)
  })
})
