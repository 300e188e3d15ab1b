import {expect} from 'chai'
import {execFile} from 'node:child_process'
import path from 'node:path'

import {ROOT} from '../../support/helpers.js'

interface Failure {
  fullTitle: string
  err: {message: string}
}

/** Run a fixture test file in a mocha of its own and read its JSON report. */
function mocha(file: string): Promise<{passes: Array<{fullTitle: string}>; failures: Failure[]}> {
  const bin = path.join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js')
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [bin, '--reporter', 'json', file], {cwd: ROOT, maxBuffer: 16 * 1024 * 1024}, (_error, stdout, stderr) => {
      try {
        resolve(JSON.parse(stdout))
      } catch {
        reject(new Error(`mocha gave no JSON report\nstdout: ${stdout}\nstderr: ${stderr}`))
      }
    })
  })
}

describe('useForgeSandbox: the strict fake forge fails the test', function () {
  this.timeout(60_000)

  it('that asks for what nobody set up, or leaves a scripted answer unused; not one that declared its 404', async () => {
    const report = await mocha(path.join('test', 'fixtures', 'strict-forge.ts'))
    const failure = (title: string) => report.failures.find((f) => f.fullTitle.includes(title))?.err.message
    expect(failure('asks for an issue nobody added')).to.match(/nobody set up an answer for: GET \/gh-api\/repos\/acme\/api\/issues\/7/)
    expect(failure('scripts an answer nobody asks for')).to.match(/never asked: GET \/gh-api\/repos\/acme\/api\/issues\/8 \(1 scripted answer\(s\) unused\)/)
    expect(report.failures).to.have.length(2)
    expect(report.passes.map((p) => p.fullTitle)).to.include('expected 404 asks for an issue declared missing')
  })
})
