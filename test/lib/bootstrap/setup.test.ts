import {expect} from 'chai'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {bootstrapSteps, runSetup, setupCommandFor, setupEnv} from '../../../src/lib/bootstrap/setup.js'
import {isAlive, makeSandbox, waitFor, type Sandbox} from '../../support/helpers.js'

describe('bootstrap: worktree setup', function () {
  this.timeout(30_000)

  describe('bootstrapSteps (pure)', () => {
    const table: Array<[string, 'create' | 'checkout' | 'reuse' | 'in-place', boolean | undefined, string | undefined, {include: boolean; setup?: string}, boolean?]> = [
      ['a new branch: copy and setup', 'create', undefined, 'npm ci', {include: true, setup: 'npm ci'}],
      ['an existing branch in a new worktree: copy and setup', 'checkout', undefined, 'npm ci', {include: true, setup: 'npm ci'}],
      ['a reused worktree: nothing', 'reuse', undefined, 'npm ci', {include: false}],
      ['a reused worktree with --setup: the setup only', 'reuse', true, 'npm ci', {include: false, setup: 'npm ci'}],
      ['--no-setup in a new worktree: the copy only', 'create', false, 'npm ci', {include: true}],
      ['--no-worktree: nothing', 'in-place', undefined, 'npm ci', {include: false}],
      ['--no-worktree --setup: the setup in the checkout', 'in-place', true, 'npm ci', {include: false, setup: 'npm ci'}],
      ['no setup configured: the copy only', 'create', true, undefined, {include: true}],
      ['no .worktreeinclude: nothing to copy', 'create', undefined, 'npm ci', {include: false, setup: 'npm ci'}, false],
    ]
    for (const [title, action, flag, command, want, hasFile] of table) {
      it(title, () => expect(bootstrapSteps(action, flag, command, hasFile ?? true)).to.deep.equal(want))
    }
  })

  describe('setupCommandFor (pure)', () => {
    const worktree = {setup: 'make setup', setupTimeoutMs: 1000, portBase: 3100, portStride: 10}
    it('a repository of its own wins, case-insensitively', () => expect(setupCommandFor({worktree, repoSetup: {'acme/api': 'npm ci'}}, 'Acme/API')).to.equal('npm ci'))
    it('else worktree.setup', () => expect(setupCommandFor({worktree, repoSetup: {'acme/api': 'npm ci'}}, 'acme/web')).to.equal('make setup'))
    it('else none', () => expect(setupCommandFor({worktree: {...worktree, setup: undefined}, repoSetup: {}}, 'acme/web')).to.equal(undefined))
  })

  it('setupEnv drops the tokens and keeps the rest (pure)', () => {
    expect(setupEnv({GH_TOKEN: 'a', FORGEJO_TOKEN: 'b', PATH: '/bin', DISPATCH_PORT: '3100'}, ['GH_TOKEN', 'FORGEJO_TOKEN'])).to.deep.equal({PATH: '/bin', DISPATCH_PORT: '3100'})
  })

  describe('runSetup with real processes', () => {
    let sb: Sandbox
    let log: string
    beforeEach(() => {
      sb = makeSandbox()
      log = path.join(sb.dir, 'worker.log')
      writeFileSync(log, '')
    })
    afterEach(() => sb.cleanup())
    const run = (command: string, timeoutMs = 10_000) => runSetup({command, cwd: sb.dir, env: {PATH: process.env.PATH, DISPATCH_PORT: '3110'}, logPath: log, timeoutMs, shell: '/bin/sh'})

    it('runs in cwd with the env given, its output appended to the log', async () => {
      const out = await run('echo "port $DISPATCH_PORT in $(pwd)"; echo oops >&2; touch made')
      expect(out).to.include({ok: true, exitCode: 0, timedOut: false})
      const text = readFileSync(log, 'utf8')
      expect(text).to.include(`port 3110 in ${sb.dir}`).and.include('oops').and.match(/worktree setup finished/)
      expect(existsSync(path.join(sb.dir, 'made'))).to.equal(true)
    })

    it('reports a failing command with its exit code', async () => {
      const out = await run('echo installing; exit 3')
      expect(out).to.include({ok: false, exitCode: 3, timedOut: false})
      expect(readFileSync(log, 'utf8')).to.match(/installing\n.*failed: it exited with code 3/)
    })

    it('kills the whole process group of a setup that hangs', async () => {
      // The shell starts a background sleep and waits: both must be gone afterwards.
      const out = await run(`sleep 30 & echo $! > ${path.join(sb.dir, 'bg.pid')}; sleep 30`, 500)
      expect(out).to.include({ok: false, timedOut: true})
      const bg = Number(readFileSync(path.join(sb.dir, 'bg.pid'), 'utf8'))
      await waitFor('the background sleep to die', () => !isAlive(bg))
      expect(readFileSync(log, 'utf8')).to.match(/timed out after 500 ms and was killed/)
    })
  })
})
