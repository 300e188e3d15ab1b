// Issue #20 part 3: what a hostile review found around dispatch's own state,
// each through the real binary.
import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {mkdirSync} from 'node:fs'
import path from 'node:path'

import {useForgeSandbox} from '../support/forge-sandbox.js'
import {makeRepo, runCli} from '../support/helpers.js'

describe('hostile state (through the binary)', function () {
  this.timeout(120_000)
  const t = useForgeSandbox()

  it('a FIFO in stateDir/starting/ neither hangs a dispatch nor reap: it is skipped with a warning', async () => {
    const {sb, env, forge} = t
    makeRepo(sb, 'acme', 'api')
    forge.addIssue({owner: 'acme', repo: 'api', number: 12, title: 'Fix the login bug'})
    const starting = path.join(sb.stateDir, 'starting')
    mkdirSync(starting, {recursive: true, mode: 0o700})
    execFileSync('mkfifo', [path.join(starting, '4242-planted.json')])
    // Before the fix each of these blocked in the read for good; 60 s is only a backstop.
    const reap = await runCli(['reap', '--dry-run'], {env, timeoutMs: 60_000})
    expect(reap.code, reap.stderr).to.equal(0)
    expect(reap.stderr).to.include('4242-planted.json: not a regular file')
    const dry = await runCli(['headless', 'acme/api#12', '--dry-run'], {env, timeoutMs: 60_000})
    expect(dry.code, dry.stderr).to.equal(0)
  })
})
