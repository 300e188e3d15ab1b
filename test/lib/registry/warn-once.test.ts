import {expect} from 'chai'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {Registry} from '../../../src/lib/registry/index.js'

/**
 * One Registry serves a whole run, and some callers read it again and again
 * (the interactive surfaces poll for the session's record every 50 ms): a
 * record it skips is reported once per run, not once per read.
 */
describe('Registry warnings', () => {
  let stateDir: string
  beforeEach(() => {
    stateDir = mkdtempSync(path.join(os.tmpdir(), 'dispatch-warn-once-'))
    mkdirSync(path.join(stateDir, 'sidequests'), {mode: 0o700})
  })
  afterEach(() => rmSync(stateDir, {recursive: true, force: true}))

  it('reports each skipped record once, however often the run reads it', async () => {
    writeFileSync(path.join(stateDir, 'sidequests', '4242.json'), '{not json', {mode: 0o600})
    writeFileSync(path.join(stateDir, 'sidequests', '4343.json'), '[]', {mode: 0o600})
    const warnings: string[] = []
    const registry = new Registry({stateDir, warn: (m) => warnings.push(m)})
    for (let i = 0; i < 5; i++) expect(await registry.all()).to.deep.equal([])
    expect(await registry.get(4242)).to.equal(undefined)
    expect(warnings.filter((w) => w.includes('4242.json'))).to.have.length(1)
    expect(warnings.filter((w) => w.includes('4343.json'))).to.have.length(1)
    expect(warnings).to.have.length(2)
  })
})
