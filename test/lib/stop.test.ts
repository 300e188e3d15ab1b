import {expect} from 'chai'

import {NotFoundError, UsageError} from '../../src/lib/errors.js'
import {InterruptedError} from '../../src/lib/errors.js'
import {interruptedError, StartGuard} from '../../src/lib/interrupt.js'
import {processStartTime} from '../../src/lib/proc.js'
import {workerState, type SidequestRecord} from '../../src/lib/registry/index.js'
import {stateLabel} from '../../src/lib/views/workers.js'
import {parseStopTimeout, selectStopTargets} from '../../src/lib/stop.js'
import {exitCodeOf, exitSignalOf} from '../../src/lib/worker/exit.js'

const hosts = {githubWebUrl: 'https://github.com'}
const rec = (pid: number, ref: string, extra: Partial<SidequestRecord> = {}): SidequestRecord =>
  ({schema_version: 1, pid, pid_start_time: null, mode: 'headless', ref, forge: 'github', url: '', title: '', started_at: '2026-01-01T00:00:00Z', parent_session: null, paths_claimed: [], cwd: '/x', branch: 'b', log_path: null, cascade_depth: 0, claude_session_id: null, ...extra}) as SidequestRecord

describe('stop: selection and timeout', () => {
  const active = [rec(10, 'acme/api#1'), rec(11, 'acme/api#1'), rec(12, 'Acme/Web#2')]
  const cases: Array<[string, Parameters<typeof selectStopTargets>[1], number[] | typeof NotFoundError | typeof UsageError]> = [
    ['every worker on a ref', {ref: 'acme/api#1'}, [10, 11]],
    ['a ref in another case, as a URL', {ref: 'https://github.com/acme/web/issues/2'}, [12]],
    ['a pid', {pid: 11}, [11]],
    ['all', {all: true}, [10, 11, 12]],
    ['a ref with no active worker', {ref: 'acme/api#3'}, NotFoundError],
    ['a pid with no active worker', {pid: 99}, NotFoundError],
    ['a pid that is no pid', {pid: -1}, UsageError],
  ]
  for (const [what, target, expected] of cases) {
    it(what, () => {
      if (Array.isArray(expected)) expect(selectStopTargets(active, target, hosts).map((r) => r.pid)).to.deep.equal(expected)
      else expect(() => selectStopTargets(active, target, hosts)).to.throw(expected)
    })
  }
  it('--all with nothing active is an empty list, not an error', () => {
    expect(selectStopTargets([], {all: true}, hosts)).to.deep.equal([])
  })

  const timeouts: Array<[string, number | undefined]> = [['5', 5000], ['0.5', 500], ['2s', 2000], ['0', undefined], ['soon', undefined], ['', undefined], ['601', undefined]]
  for (const [text, ms] of timeouts) {
    it(`--timeout ${JSON.stringify(text)}`, () => {
      if (ms === undefined) expect(() => parseStopTimeout(text)).to.throw(UsageError)
      else expect(parseStopTimeout(text)).to.equal(ms)
    })
  }
})

describe('how a worker ended', () => {
  const ends: Array<[number | null, NodeJS.Signals | null, number, string | null]> = [
    [0, null, 0, null],
    [1, null, 1, null],
    [null, 'SIGTERM', 143, 'SIGTERM'],
    [null, 'SIGKILL', 137, 'SIGKILL'],
    // Claude Code 2.1.328 catches SIGTERM and exits 143.
    [143, null, 143, 'SIGTERM'],
    [130, null, 130, 'SIGINT'],
    [139, null, 139, null],
  ]
  for (const [code, signal, exitCode, exitSignal] of ends) {
    it(`code ${code}, signal ${signal}`, () => {
      expect(exitCodeOf(code, signal)).to.equal(exitCode)
      expect(exitSignalOf(code, signal)).to.equal(exitSignal)
    })
  }

  const states: Array<[string, Partial<SidequestRecord>, boolean, string, string]> = [
    ['running', {}, true, 'running', 'RUNNING'],
    ['exited', {ended_at: 't', exit_code: 0, exit_signal: null}, false, 'exited', 'EXITED 0'],
    ['killed by someone', {ended_at: 't', exit_code: 143, exit_signal: 'SIGTERM'}, false, 'killed', 'KILLED (SIGTERM)'],
    ['stopped by dispatch stop', {ended_at: 't', exit_code: 143, exit_signal: 'SIGTERM', stopped: true}, false, 'stopped', 'STOPPED'],
    ['stopped, end not written yet but gone', {stopped: true}, false, 'stopped', 'STOPPED'],
    ['crashed at start', {ended_at: 't', exit_code: 143, crashed: true}, false, 'crashed', 'CRASHED'],
    ['gone without an end', {}, false, 'unknown', 'UNKNOWN'],
  ]
  for (const [what, extra, alive, state, label] of states) {
    it(`state: ${what}`, () => {
      const r = rec(1, 'a/b#1', extra)
      const s = workerState(r, alive)
      expect(s).to.equal(state)
      expect(stateLabel({...r, state: s})).to.equal(label)
    })
  }
})

describe('StartGuard', () => {
  it('before the worker: runs the undos, newest first, and says nothing was started', async () => {
    const guard = new StartGuard()
    const done: string[] = []
    guard.undo(() => done.push('log'))
    const forget = guard.undo(() => done.push('forgotten'))
    guard.undo(() => done.push('supervisor'))
    forget()
    guard.interrupt('SIGINT')
    const error = await guard.interrupted.catch((e: InterruptedError) => e)
    expect(done).to.deep.equal(['supervisor', 'log'])
    expect(error).to.include({exitCode: 130, code: 'interrupted', message: 'Interrupted before the worker started; nothing was started.'})
  })

  it('while the supervisor starts claude: holds the signal until the answer, then names the worker', async () => {
    const guard = new StartGuard()
    let undone = false
    guard.undo(() => (undone = true))
    guard.hold()
    guard.interrupt('SIGTERM')
    let settled = false
    void guard.interrupted.catch(() => (settled = true))
    await Promise.resolve()
    expect(settled).to.equal(false)
    // A live worker is one whose pid and recorded start time both match.
    guard.started(rec(process.pid, 'acme/api#1', {pid_start_time: processStartTime(process.pid) ?? null}))
    const error = await guard.interrupted.catch((e: InterruptedError) => e)
    expect(undone).to.equal(false)
    expect(error).to.include({exitCode: 143, pid: process.pid, message: `Interrupted; worker pid ${process.pid} keeps running (dispatch status acme/api#1).`})
  })

  it('a start that failed while held is reported as nothing started', async () => {
    const guard = new StartGuard()
    guard.hold()
    guard.interrupt('SIGINT')
    guard.notStarted()
    expect((await guard.interrupted.catch((e: Error) => e)).message).to.match(/nothing was started/)
  })

  it('says when the worker already ended', () => {
    expect(interruptedError('SIGINT', {pid: 5, ref: 'a/b#1', alive: false}).message).to.equal('Interrupted; worker pid 5 has already ended (dispatch status a/b#1).')
  })
})
