import {expect} from 'chai'
import {existsSync, mkdirSync, utimesSync} from 'node:fs'
import path from 'node:path'

import {withLock} from '../../src/lib/lock.js'
import {waitFor} from '../support/helpers.js'
import {useSandbox} from '../support/forge-sandbox.js'

describe('withLock', function () {
  this.timeout(20_000)
  const t = useSandbox(false)
  let lock: string
  beforeEach(() => (lock = path.join(t.sb.stateDir, 'locks', 'dispatch')))

  it('lets one holder in at a time and releases on success and on failure', async () => {
    let inside = 0
    let most = 0
    const work = async (fail: boolean) =>
      withLock(lock, async () => {
        most = Math.max(most, ++inside)
        await new Promise((r) => setImmediate(r))
        inside--
        if (fail) throw new Error('boom')
        return 'done'
      })
    const results = await Promise.allSettled([work(false), work(true), work(false), work(true)])
    expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled', 'rejected'])
    expect(most).to.equal(1)
    expect(existsSync(`${lock}.lock`)).to.equal(false)
  })

  it('takes over a lock left by a holder that died', async () => {
    // A lock directory nobody refreshes any more, as kill -9 leaves it.
    mkdirSync(`${lock}.lock`, {recursive: true})
    const old = new Date(Date.now() - 60_000)
    utimesSync(`${lock}.lock`, old, old)
    expect(await withLock(lock, async () => 'taken over')).to.equal('taken over')
  })

  it('finishes the work and reports a lapsed hold instead of crashing', async () => {
    let lapse: Error | undefined
    const result = await withLock(
      lock,
      async () => {
        // What another process does when it takes the lock over as stale: the lock is no longer ours.
        const later = new Date(Date.now() + 30_000)
        utimesSync(`${lock}.lock`, later, later)
        await waitFor('the lapse to be noticed', () => lapse)
        return 'finished'
      },
      {onLapse: (error) => (lapse = error)},
    )
    expect(result).to.equal('finished')
    expect((lapse as NodeJS.ErrnoException).code).to.equal('ECOMPROMISED')
  })
})
