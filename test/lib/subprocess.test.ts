import {expect} from 'chai'
import {mkdtempSync, realpathSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {SubprocessError, runForOutput} from '../../src/lib/subprocess.js'

const node = process.execPath
const script = (code: string) => ['-e', code]

async function failure(p: Promise<string>): Promise<SubprocessError> {
  try {
    await p
  } catch (error) {
    expect(error).to.be.instanceOf(SubprocessError)
    return error as SubprocessError
  }
  throw new Error('expected a rejection')
}

describe('runForOutput: a program run for what it prints', () => {
  it('resolves to stdout, trimmed, run in cwd with env', async () => {
    const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'run-')))
    const out = await runForOutput(node, script('process.stdout.write("  " + process.cwd() + " " + process.env.X + "\\n\\n")'), {cwd: dir, env: {X: 'y'}})
    expect(out).to.equal(`${dir} y`)
  })

  const failing: Array<[string, string[], Parameters<typeof runForOutput>[2], string, number | string]> = [
    ['non-zero exit: its stderr, trimmed', script('process.stdout.write("out"); process.stderr.write(" bad thing\\n"); process.exit(3)'), {}, 'bad thing', 3],
    ['a caller may prefer stdout when stderr is empty', script('process.stdout.write("only out\\n"); process.exit(1)'), {failure: (o) => (o.stderr || o.stdout).trim()}, 'only out', 1],
  ]
  for (const [title, args, opts, message, code] of failing)
    it(title, async () => {
      const err = await failure(runForOutput(node, args, opts))
      expect(err.message).to.equal(message)
      expect(err.code).to.equal(code)
    })

  it('silent failure: Node\'s own words', async () => {
    const err = await failure(runForOutput(node, script('process.exit(2)')))
    expect(err.message).to.match(/Command failed/)
  })

  it('a missing program rejects (ENOENT), never throws', async () => {
    const err = await failure(runForOutput('dispatch-no-such-program-xyz', []))
    expect(err.code).to.equal('ENOENT')
  })

  it('a hung program is killed at the timeout', async () => {
    const started = Date.now()
    await failure(runForOutput(node, script('setInterval(() => {}, 1000)'), {timeoutMs: 300}))
    // Killed, not run to its end (it never ends): a generous bound for a loaded machine.
    expect(Date.now() - started).to.be.lessThan(60_000)
  })
})
