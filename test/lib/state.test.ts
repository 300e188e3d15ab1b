import {expect} from 'chai'
import {execFileSync, spawn} from 'node:child_process'
import {chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {PolicyError} from '../../src/lib/errors.js'
import {processStartTime} from '../../src/lib/proc.js'
import {Registry, isActive, type SidequestRecord} from '../../src/lib/registry/index.js'
import {ensurePrivateDirs, ensureStateDir} from '../../src/lib/state.js'
import {waitFor} from '../support/helpers.js'

const isRoot = process.getuid?.() === 0

describe('state directory safety', () => {
  let dir: string
  let stateDir: string
  beforeEach(() => {
    dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'dispatch-state-')))
    stateDir = path.join(dir, 'state')
  })
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  const refusal = async (what: string, setup: () => void, message: RegExp) => {
    mkdirSync(stateDir, {mode: 0o700})
    setup()
    const error = await ensureStateDir(stateDir).catch((e) => e)
    expect(error, what).to.be.instanceOf(PolicyError)
    expect(error.message).to.match(message)
  }

  it('refuses sidequests/ that is a symlink, even to a directory of ours', async () => {
    const elsewhere = path.join(dir, 'open')
    mkdirSync(elsewhere, {mode: 0o777})
    chmodSync(elsewhere, 0o777)
    await refusal('symlink', () => symlinkSync(elsewhere, path.join(stateDir, 'sidequests')), /sidequests is a symbolic link/)
  })

  it('refuses logs/ writable by others, naming the chmod', async () => {
    await refusal('mode', () => {
      mkdirSync(path.join(stateDir, 'logs'))
      chmodSync(path.join(stateDir, 'logs'), 0o777)
    }, /logs is writable by other users \(mode 777\)/)
  })

  it('refuses logs/ owned by another user', async function () {
    if (!isRoot) this.skip()
    await refusal('owner', () => {
      mkdirSync(path.join(stateDir, 'logs'), {mode: 0o700})
      chownSync(path.join(stateDir, 'logs'), 65534, 65534)
    }, /logs belongs to uid 65534/)
  })

  it('checks every level it creates below the state dir (logs/<owner>/<repo>)', async () => {
    await ensureStateDir(stateDir)
    symlinkSync(dir, path.join(stateDir, 'logs', 'acme'))
    const error = await ensurePrivateDirs(stateDir, path.join('logs', 'acme', 'api')).catch((e) => e)
    expect(error).to.be.instanceOf(PolicyError)
    expect(error.message).to.match(/logs\/acme is a symbolic link/)
    expect(await ensurePrivateDirs(stateDir, path.join('logs', 'other', 'api'))).to.equal(path.join(stateDir, 'logs', 'other', 'api'))
  })

  describe('registry reads', () => {
    let sleeper: ReturnType<typeof spawn> | undefined
    afterEach(() => sleeper?.kill('SIGKILL'))

    const record = (pid: number, start: string | null): SidequestRecord => ({
      schema_version: 1, pid, pid_start_time: start, mode: 'headless', ref: `acme/api#${pid}`, forge: 'github', url: '', title: 't',
      started_at: new Date().toISOString(), parent_session: null, paths_claimed: ['/r'], cwd: '/r', branch: 'b', log_path: null, cascade_depth: 0, claude_session_id: null,
    })

    it('skips FIFOs, symlinks (to /dev/zero) and oversized files with a warning, without hanging', async () => {
      await ensureStateDir(stateDir)
      const sq = path.join(stateDir, 'sidequests')
      execFileSync('mkfifo', [path.join(sq, '11.json')])
      symlinkSync('/dev/zero', path.join(sq, '12.json'))
      writeFileSync(path.join(sq, '13.json'), Buffer.alloc(2 * 1024 * 1024, 0x20))
      sleeper = spawn('sleep', ['30'], {stdio: 'ignore'})
      const pid = sleeper.pid!
      const start = await waitFor('sleeper start time', () => processStartTime(pid))
      writeFileSync(path.join(sq, `${pid}.json`), JSON.stringify(record(pid, start)), {mode: 0o600})
      const warnings: string[] = []
      const registry = new Registry({stateDir, warn: (m) => warnings.push(m)})
      expect((await registry.all()).map((r) => r.pid)).to.deep.equal([pid])
      expect(warnings.join('\n')).to.match(/11\.json: not a regular file/).and.match(/12\.json: a symbolic link/).and.match(/13\.json: 2097152 bytes/)
      expect(await registry.get(12)).to.equal(undefined)
      expect((await registry.active()).map((r) => r.pid)).to.deep.equal([pid])
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
})
