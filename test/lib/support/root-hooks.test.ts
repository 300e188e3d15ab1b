import {expect} from 'chai'
import {execFile} from 'node:child_process'
import {readFileSync} from 'node:fs'
import path from 'node:path'

import {isAlive, ROOT} from '../../support/helpers.js'
import {useTempDir} from '../../support/forge-sandbox.js'

/** Run the leaky fixture in a mocha of its own (root hooks from .mocharc.json). */
function mocha(mode: string, out: string, ...flags: string[]): Promise<{code: number; stdout: string; stderr: string}> {
  const bin = path.join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js')
  const file = path.join('test', 'fixtures', 'leaky-processes.ts')
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...flags, file], {cwd: ROOT, env: {...process.env, LEAK_FIXTURE_MODE: mode, LEAK_FIXTURE_OUT: out, DISPATCH_TEST_LEAK_GRACE_MS: '500'}, timeout: 120_000}, (error, stdout, stderr) => {
      resolve({code: error ? Number((error as {code?: number}).code ?? -1) : 0, stdout, stderr})
    })
  })
}

const pid = (dir: string, name: string) => Number(readFileSync(path.join(dir, `${name}.pid`), 'utf8'))

describe('the root hooks: no test leaves a process running', function () {
  this.timeout(180_000)
  const tmp = useTempDir('root-hooks-')

  it('after each test, passed or timed out, what it started is stopped by pid and named', async () => {
    const res = await mocha('tests', tmp.dir)
    expect(res.code, res.stderr).to.equal(1) // the timed-out test, nothing else
    expect(res.stdout).to.match(/2 passing/).and.match(/1 failing/)
    for (const [name, seconds] of [['passed', 301], ['sandboxed', 302], ['timed-out', 303]] as const) {
      const p = pid(tmp.dir, name)
      expect(isAlive(p), `${name} sleeper ${p}`).to.equal(false)
      expect(res.stderr).to.include(`pid ${p}: sleep ${seconds}`)
    }
    expect(res.stderr).not.to.match(/The test run left/)
  })

  it('at the end of the run, anything it started that still runs fails the run, named by pid and command line', async () => {
    const res = await mocha('after', tmp.dir, '--parallel', '--jobs', '2')
    expect(res.stdout).to.match(/1 passing/).and.not.match(/failing/)
    const p = pid(tmp.dir, 'after')
    expect(res.stderr).to.match(/The test run left 1 process\(es\) running/)
    expect(res.stderr).to.include(`pid ${p}: sleep 304`)
    expect(res.code, 'the exit code of a run whose tests all passed').to.equal(1)
    expect(isAlive(p), 'stopped by the check').to.equal(false)
  })
})
