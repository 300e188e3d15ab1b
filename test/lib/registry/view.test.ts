// A fan-out admits each issue against the active workers (issue #21): the
// view it reads them through reads a record file once, not once per issue.
import {expect} from 'chai'
import {spawn, type ChildProcess} from 'node:child_process'
import {rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {processStartTime} from '../../../src/lib/proc.js'
import {ActiveView, Registry, type SidequestRecord} from '../../../src/lib/registry/index.js'
import {ensureStateDir} from '../../../src/lib/state.js'
import {waitFor} from '../../support/helpers.js'
import {useTempDir} from '../../support/forge-sandbox.js'

describe('registry: the active view a fan-out admits through', () => {
  const tmp = useTempDir('dispatch-view-')
  const sleepers: ChildProcess[] = []
  afterEach(() => {
    for (const s of sleepers.splice(0)) s.kill('SIGKILL')
  })

  const record = (pid: number, start: string | null, ref: string): SidequestRecord => ({
    schema_version: 2, pid, pid_start_time: start, mode: 'headless', ref, forge: 'github', url: '', title: 't',
    started_at: new Date().toISOString(), parent_session: null, paths_claimed: [], cwd: `/w/${pid}`, branch: 'b', log_path: null, cascade_depth: 0, claude_session_id: null,
  })

  /** A live worker: a sleeping process and its record. */
  async function worker(dir: string, ref: string): Promise<number> {
    const s = spawn('sleep', ['60'], {stdio: 'ignore'})
    sleepers.push(s)
    const pid = s.pid!
    const start = await waitFor('start time', () => processStartTime(pid))
    writeFileSync(path.join(dir, `${pid}.json`), JSON.stringify(record(pid, start, ref)), {mode: 0o600})
    return pid
  }

  it('reads each record once while its worker lives; new ones are read, ended and removed ones drop out', async () => {
    const stateDir = path.join(tmp.dir, 'state')
    await ensureStateDir(stateDir)
    const registry = new Registry({stateDir})
    const dir = registry.dir
    const reads: Array<number | string> = []
    const view = new ActiveView({dir, get: (key) => (reads.push(key), registry.get(key))})
    const a = await worker(dir, 'acme/api#1')
    const b = await worker(dir, 'acme/api#2')
    expect((await view.active()).map((r) => r.ref)).to.have.members(['acme/api#1', 'acme/api#2'])
    expect(reads).to.have.members([a, b])
    // Issue after issue of a fan-out: only the worker started since is read.
    reads.length = 0
    const c = await worker(dir, 'acme/api#3')
    expect((await view.active()).map((r) => r.ref)).to.have.members(['acme/api#1', 'acme/api#2', 'acme/api#3'])
    expect(reads).to.deep.equal([c])
    reads.length = 0
    expect(await view.active()).to.have.length(3)
    expect(reads).to.deep.equal([])
    // A worker that ended, and a record that was removed, drop out without a read.
    sleepers[0].kill('SIGKILL')
    await waitFor('the first worker to be gone', () => processStartTime(a) === undefined)
    rmSync(path.join(dir, `${b}.json`))
    expect((await view.active()).map((r) => r.ref)).to.deep.equal(['acme/api#3'])
    expect(reads).to.deep.equal([])
    // The same answer as reading the whole registry.
    expect((await view.active()).map((r) => r.pid)).to.deep.equal((await registry.active()).map((r) => r.pid))
  })
})
