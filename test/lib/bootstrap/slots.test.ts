import {expect} from 'chai'
import {execFileSync, spawn} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {PolicyError} from '../../../src/lib/errors.js'
import {freeIndex, slotFor, slotSentence} from '../../../src/lib/bootstrap/slots.js'
import {processStartTime} from '../../../src/lib/proc.js'
import {isAlive, makeSandbox, waitFor, type Sandbox} from '../../support/helpers.js'

describe('bootstrap: worker indexes and ports', function () {
  this.timeout(30_000)

  describe('freeIndex (pure)', () => {
    const table: Array<[number[], number]> = [
      [[], 0],
      [[0], 1],
      [[0, 1, 2], 3],
      [[1, 2], 0],
      [[0, 2], 1],
      [[3, 0, 0, 1], 2],
    ]
    for (const [taken, want] of table) it(`[${taken.join(',')}] → ${want}`, () => expect(freeIndex(taken)).to.equal(want))
  })

  describe('slotFor (pure)', () => {
    const ports = {portBase: 3100, portStride: 10}
    const rec = (repo: string | undefined, ref: string, worker_index?: number) => ({repo, ref, worker_index})
    it('counts the active workers of every repository: ports are the machine\'s', () => {
      expect(slotFor([rec('acme/api', 'acme/api#1', 0), rec('acme/web', 'acme/web#1', 1)], 'acme/api', ports)).to.deep.equal({index: 2, port: 3120, stride: 10})
      expect(slotFor([rec('acme/web', 'acme/web#1', 0)], 'acme/api', ports)).to.deep.equal({index: 1, port: 3110, stride: 10})
    })
    it('reuses a freed index', () => expect(slotFor([rec('acme/api', 'acme/api#1', 1)], 'ACME/api', ports)).to.deep.equal({index: 0, port: 3100, stride: 10}))
    it('records without an index (older versions) hold none', () => {
      expect(slotFor([rec(undefined, 'acme/api#3', 0), rec('acme/api', 'acme/api#4')], 'acme/api', ports).index).to.equal(1)
    })
    it('refuses (policy, exit 3) a port range past 65535, naming the ports and the settings', () => {
      expect(() => slotFor([rec('a/b', 'a/b#1', 0)], 'a/b', {portBase: 65_530, portStride: 5})).to.throw(PolicyError, /Worker 1 of a\/b would get ports 65535-65539, past 65535/)
      expect(slotFor([], 'a/b', {portBase: 65_530, portStride: 5}).port).to.equal(65_530)
    })
    it('uses portBase and portStride', () => expect(slotFor([0, 1].map((i) => rec('a/b', 'a/b#1', i)), 'a/b', {portBase: 8000, portStride: 2}).port).to.equal(8004))
  })

  it('slotSentence names the index, the port and the range', () => {
    expect(slotSentence({index: 2, port: 3120, stride: 10})).to.include('DISPATCH_WORKER_INDEX=2').and.include('DISPATCH_PORT=3120').and.include('ports 3120-3129')
    expect(slotSentence({index: 0, port: 3100, stride: 1})).to.include('port 3100 for')
  })
})
