import {expect} from 'chai'
import {spawn} from 'node:child_process'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {claudeConfigFile, preTrust} from '../../src/lib/claude.js'
import {makeSandbox, type Sandbox} from '../support/helpers.js'

describe('trust pre-seeding', function () {
  this.timeout(30_000)
  let sb: Sandbox
  let file: string
  let locks: string
  beforeEach(() => {
    sb = makeSandbox()
    file = claudeConfigFile(sb.env)
    locks = path.join(sb.stateDir, 'locks')
  })
  afterEach(() => sb.cleanup())

  it('uses $CLAUDE_CONFIG_DIR/.claude.json, else ~/.claude.json', () => {
    expect(claudeConfigFile({CLAUDE_CONFIG_DIR: '/c', HOME: '/h'})).to.equal('/c/.claude.json')
    expect(claudeConfigFile({HOME: '/h'})).to.equal('/h/.claude.json')
  })

  it('marks the worktree trusted and keeps every other key', async () => {
    const before = {numStartups: 7, customApiKeyResponses: {approved: ['abc']}, projects: {'/other': {allowedTools: ['Bash'], hasTrustDialogAccepted: false}, '/wt/x': {history: [1, 2]}}}
    writeFileSync(file, JSON.stringify(before))
    expect(await preTrust(file, '/wt/x', locks)).to.equal('trusted')
    const after = JSON.parse(readFileSync(file, 'utf8'))
    expect(after).to.deep.equal({...before, projects: {...before.projects, '/wt/x': {history: [1, 2], hasTrustDialogAccepted: true}}})
    expect(await preTrust(file, '/wt/x', locks)).to.equal('already-trusted')
  })

  it('leaves a missing file missing', async () => {
    expect(await preTrust(file, '/wt/x', locks)).to.equal('missing')
    expect(existsSync(file)).to.equal(false)
  })

  it('leaves a corrupt file untouched', async () => {
    writeFileSync(file, '{"projects": {oops')
    expect(await preTrust(file, '/wt/x', locks)).to.equal('corrupt')
    expect(readFileSync(file, 'utf8')).to.equal('{"projects": {oops')
  })

  it('loses no key when 10 worktrees are trusted concurrently while another writer adds keys', async () => {
    writeFileSync(file, JSON.stringify({projects: {}, writerKeys: []}))
    // A separate process that keeps rewriting the file the way Claude does (read, add a key, write).
    const writer = spawn(process.execPath, ['-e', `
      const fs = require('fs'); const f = ${JSON.stringify(file)};
      let n = 0; const t = setInterval(() => {
        const d = JSON.parse(fs.readFileSync(f, 'utf8')); d['writer' + n] = n; n++;
        fs.writeFileSync(f + '.w', JSON.stringify(d)); fs.renameSync(f + '.w', f);
        if (n === 40) { clearInterval(t); process.exit(0) }
      }, 5)`])
    const writerDone = new Promise((r) => writer.once('exit', r))
    const outcomes = await Promise.all(Array.from({length: 10}, (_, i) => preTrust(file, `/wt/${i}`, locks)))
    await writerDone
    expect(outcomes.every((o) => o === 'trusted')).to.equal(true)
    const data = JSON.parse(readFileSync(file, 'utf8'))
    for (let i = 0; i < 10; i++) expect(data.projects[`/wt/${i}`].hasTrustDialogAccepted).to.equal(true)
  })
})
