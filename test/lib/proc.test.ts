import {expect} from 'chai'
import {execFileSync, spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {isSameProcessAlive, livePidFilter, pidExists, processStartTime} from '../../src/lib/proc.js'
import {waitFor} from '../support/helpers.js'

describe('process liveness', function () {
  this.timeout(15_000)
  // A pid above Linux's pid_max (4194304) can never be in use.
  const NEVER = 4_194_305

  it('knows this process, and no process behind an impossible pid', () => {
    const me = processStartTime(process.pid)
    expect(me).to.be.a('string').and.not.equal('')
    expect(pidExists(process.pid)).to.equal(true)
    expect(isSameProcessAlive(process.pid, me)).to.equal(true)
    // Without a start time nothing proves it is the recorded process (pid 1 is always alive).
    expect(isSameProcessAlive(process.pid, null)).to.equal(false)
    expect(pidExists(NEVER)).to.equal(false)
    expect(processStartTime(NEVER)).to.equal(undefined)
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(pidExists(bad), String(bad)).to.equal(false)
  })

  it('tells a reused pid from the recorded process by its start time', () => {
    const me = processStartTime(process.pid)!
    expect(isSameProcessAlive(process.pid, String(Number(me) + 1))).to.equal(false)
  })

  it('counts a zombie as gone, though the kernel still answers for its pid', async function () {
    if (process.platform !== 'linux') this.skip()
    // sh starts a child that waits on a FIFO, then becomes a long sleep that never reaps it.
    // The child is released only once sh has become that sleep: had it exited earlier, sh would have reaped it.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'zombie-'))
    const fifo = path.join(dir, 'release')
    execFileSync('mkfifo', [fifo])
    const parent = spawn('sh', ['-c', `read x < ${fifo} & echo $!; exec sleep 30`], {stdio: ['ignore', 'pipe', 'ignore']})
    try {
      const zombie = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (d) => resolve(String(d).trim()))))
      await waitFor('sh to become sleep', () => readFileSync(`/proc/${parent.pid}/comm`, 'utf8').trim() === 'sleep')
      writeFileSync(fifo, '\n')
      await waitFor('the child to become a zombie', () => readFileSync(`/proc/${zombie}/stat`, 'utf8').includes(') Z '))
      expect(() => process.kill(zombie, 0)).not.to.throw()
      expect(pidExists(zombie)).to.equal(false)
      expect(isSameProcessAlive(zombie, null)).to.equal(false)
      expect(processStartTime(zombie)).to.be.a('string')
    } finally {
      parent.kill('SIGKILL')
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('answers "might be alive" for many pids from one listing', () => {
    const alive = livePidFilter()
    expect(alive(process.pid)).to.equal(true)
    expect(alive(NEVER)).to.equal(false)
  })
})
