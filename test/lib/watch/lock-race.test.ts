// The one-watch lock (src/lib/watch/lock.ts) when several watches find a
// stale lock at the same moment (a loop killed with -9, then cron and a
// restarted service both start one): exactly one may win. Each contender is a
// process of its own; they start together once all are ready.
import {expect} from 'chai'
import {execFile} from 'node:child_process'
import {mkdirSync, readdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {useTempDir} from '../../support/forge-sandbox.js'
import {ROOT, waitFor} from '../../support/helpers.js'

const LOCK = JSON.stringify(path.join(ROOT, 'src', 'lib', 'watch', 'lock.ts'))

/** One contender: says it is ready, waits for `go`, tries the lock and holds a won one for 1.5 s. */
function contend(dir: string, go: string): Promise<string> {
  const script = [
    `import {takeWatchLock} from ${LOCK}`,
    `import {existsSync, writeFileSync} from 'node:fs'`,
    `const [dir, go] = process.argv.slice(1)`,
    `writeFileSync(dir + '/ready-' + process.pid, '')`,
    `while (!existsSync(go)) {}`,
    `try { const release = takeWatchLock(dir, new Date()); process.stdout.write('won'); setTimeout(release, 1500) } catch (e) { process.stdout.write(e.constructor.name === 'PolicyError' ? 'refused' : String(e)) }`,
  ].join('\n')
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dir, go], {cwd: ROOT}, (error, out, stderr) => (error ? reject(new Error(stderr || error.message)) : resolve(out)))
  })
}

describe('the one-watch lock under contention', function () {
  this.timeout(240_000)
  const tmp = useTempDir('dispatch-watch-lock-')

  it('a stale lock found by six watches at once goes to exactly one; the others are refused', async () => {
    for (let round = 0; round < 5; round++) {
      const dir = path.join(tmp.dir, `round-${round}`)
      mkdirSync(dir)
      // Its holder is gone: no live process has that start time.
      writeFileSync(path.join(dir, 'watch.lock'), JSON.stringify({pid: 999_999, start_time: '1', started_at: '2026-12-04T00:00:00.000Z'}))
      const go = path.join(dir, 'go')
      const outcomes = Promise.all(Array.from({length: 6}, () => contend(dir, go)))
      await waitFor('six contenders ready', () => readdirSync(dir).filter((f) => f.startsWith('ready-')).length === 6, 120_000)
      writeFileSync(go, '')
      const results = await outcomes
      expect(results.filter((r) => r === 'won'), `round ${round}: ${results.join(', ')}`).to.have.length(1)
      expect(results.filter((r) => r === 'refused')).to.have.length(5)
      expect(readdirSync(dir).filter((f) => f.startsWith('watch.lock'))).to.deep.equal([])
    }
  })
})
