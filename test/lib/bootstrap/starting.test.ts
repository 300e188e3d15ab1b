import {expect} from 'chai'
import {execFileSync, spawn} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {markStarting, startingNotes, startingRecords, stopOrphanSetup} from '../../../src/lib/bootstrap/starting.js'
import {processStartTime} from '../../../src/lib/proc.js'
import {isAlive, makeSandbox, waitFor, type Sandbox} from '../../support/helpers.js'

describe('bootstrap: notes of dispatches still starting', function () {
  this.timeout(30_000)

  describe('starting dispatches', () => {
    let sb: Sandbox
    beforeEach(() => {
      sb = makeSandbox()
      // A dispatch makes the state directory before anything else (ensureStateDir).
      mkdirSync(sb.stateDir, {mode: 0o700})
    })
    afterEach(() => sb.cleanup())
    const base = {schema_version: 2, mode: 'headless' as const, ref: 'acme/api#1', forge: 'github' as const, url: '', title: '', started_at: new Date().toISOString(), parent_session: null, paths_claimed: [], repo: 'acme/api', cwd: '/x', branch: 'b', log_path: null, cascade_depth: 0, claude_session_id: null, worker_index: 0}

    it('are seen while noted and gone once forgotten', async () => {
      const note = await markStarting(sb.stateDir, base)
      const seen = await startingRecords(sb.stateDir)
      expect(seen).to.have.length(1)
      expect(seen[0]).to.include({pid: process.pid, ref: 'acme/api#1', worker_index: 0})
      await note.forget()
      expect(await startingRecords(sb.stateDir)).to.deep.equal([])
    })

    it('a note left by a dispatch that died is ignored and removed', async () => {
      const child = spawn(process.execPath, ['-e', ''], {stdio: 'ignore'})
      const pid = child.pid!
      const start = processStartTime(pid) ?? 'gone'
      await new Promise((r) => child.once('exit', r))
      await waitFor('the child to be gone', () => !isAlive(pid))
      await markStarting(sb.stateDir, base)
      const dir = path.join(sb.stateDir, 'starting')
      writeFileSync(path.join(dir, `${pid}-dead.json`), JSON.stringify({...base, pid, pid_start_time: start}))
      expect((await startingRecords(sb.stateDir)).map((r) => r.pid)).to.deep.equal([process.pid])
      expect(existsSync(path.join(dir, `${pid}-dead.json`))).to.equal(false)
      expect(readdirSync(dir)).to.have.length(1)
    })

    it('skips, with a warning, a FIFO, a symlink, an oversized file: nothing planted there can hang or flood a reader', async () => {
      await markStarting(sb.stateDir, base)
      const dir = path.join(sb.stateDir, 'starting')
      execFileSync('mkfifo', [path.join(dir, '1-fifo.json')])
      symlinkSync('/dev/zero', path.join(dir, '2-zero.json'))
      writeFileSync(path.join(dir, '3-big.json'), ' '.repeat(2 * 1024 * 1024))
      const warnings: string[] = []
      const seen = await startingRecords(sb.stateDir, (m) => warnings.push(m))
      expect(seen.map((r) => r.pid)).to.deep.equal([process.pid])
      expect(warnings.join('\n')).to.include('1-fifo.json: not a regular file').and.include('2-zero.json: a symbolic link').and.include('3-big.json')
    })
  })

  describe('a dispatch killed during its bootstrap', () => {
    let sb: Sandbox
    const children: number[] = []
    beforeEach(() => {
      sb = makeSandbox()
      mkdirSync(sb.stateDir, {mode: 0o700})
    })
    afterEach(() => {
      for (const pid of children.splice(0)) {
        try {
          process.kill(-pid, 'SIGKILL')
        } catch {}
      }
      sb.cleanup()
    })
    const base = {schema_version: 2, mode: 'headless' as const, ref: 'acme/api#1', forge: 'github' as const, url: '', title: '', started_at: new Date().toISOString(), parent_session: null, paths_claimed: [], repo: 'acme/api', cwd: '', branch: 'b', log_path: null, cascade_depth: 0, claude_session_id: null, worker_index: 0}
    /** A note as a dispatch that died (kill -9) leaves it: its pid gone, the rest as written. */
    const deadNote = async (extra: Record<string, unknown>) => {
      const child = spawn(process.execPath, ['-e', ''], {stdio: 'ignore'})
      const pid = child.pid!
      const start = processStartTime(pid) ?? 'gone'
      await new Promise((r) => child.once('exit', r))
      await waitFor('the child to be gone', () => !isAlive(pid))
      const dir = path.join(sb.stateDir, 'starting')
      mkdirSync(dir, {recursive: true, mode: 0o700})
      const file = path.join(dir, `${pid}-dead.json`)
      writeFileSync(file, JSON.stringify({...base, cwd: sb.dir, pid, pid_start_time: start, ...extra}))
      return file
    }

    it('a setup still running counts as active under its own pid, and stopOrphanSetup ends its whole group', async () => {
      const setup = spawn('sh', ['-c', 'sleep 300 & wait'], {detached: true, stdio: 'ignore'})
      children.push(setup.pid!)
      await waitFor('the setup to run', () => processStartTime(setup.pid!))
      await deadNote({bootstrap_done: false, setup_pid: setup.pid, setup_start_time: processStartTime(setup.pid!)})
      const {active, unfinished} = await startingNotes(sb.stateDir)
      expect(unfinished).to.deep.equal([])
      expect(active).to.have.length(1)
      expect(active[0]).to.include({pid: setup.pid, setup_orphaned: true, ref: 'acme/api#1'})
      const grandchild = Number(execFileSync('pgrep', ['-P', String(setup.pid), 'sleep'], {encoding: 'utf8'}).trim())
      await stopOrphanSetup(active[0], 100)
      await waitFor('the group to be gone', () => !isAlive(setup.pid!) && !isAlive(grandchild))
    })

    it('an unfinished bootstrap with nothing running is reported; a finished one, an old note and one whose worktree is gone are removed', async () => {
      const unfinished = await deadNote({bootstrap_done: false})
      const finished = await deadNote({bootstrap_done: true})
      const old = await deadNote({})
      const gone = await deadNote({bootstrap_done: false, cwd: path.join(sb.dir, 'no-such-worktree')})
      const notes = await startingNotes(sb.stateDir)
      expect(notes.active).to.deep.equal([])
      expect(notes.unfinished.map((n) => n.note_file)).to.deep.equal([unfinished])
      for (const f of [finished, old, gone]) expect(existsSync(f), f).to.equal(false)
      expect(existsSync(unfinished)).to.equal(true)
    })

    it('a setup pid reused by another process is not signalled', async () => {
      const other = spawn('sleep', ['300'], {detached: true, stdio: 'ignore'})
      children.push(other.pid!)
      await waitFor('the process to run', () => processStartTime(other.pid!))
      await stopOrphanSetup({pid: other.pid!, pid_start_time: 'not-its-start-time'}, 100)
      expect(isAlive(other.pid!)).to.equal(true)
    })
  })
})
