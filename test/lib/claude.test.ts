import {expect} from 'chai'
import {execFileSync, spawn} from 'node:child_process'
import {existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {createRequire} from 'node:module'

import lockfile from 'proper-lockfile'

import {claudeConfigFile, preTrust} from '../../src/lib/claude.js'
import {FailureError} from '../../src/lib/errors.js'
import {fillDisk, mountTiny} from '../support/helpers.js'
import {useSandbox} from '../support/forge-sandbox.js'

const require = createRequire(import.meta.url)

describe('trust pre-seeding', function () {
  this.timeout(30_000)
  const t = useSandbox(false)
  let {sb} = t
  let file: string
  beforeEach(() => {
    sb = t.sb
    file = claudeConfigFile(sb.env)
  })

  it('uses $CLAUDE_CONFIG_DIR/.claude.json, else ~/.claude.json', () => {
    expect(claudeConfigFile({CLAUDE_CONFIG_DIR: '/c', HOME: '/h'})).to.equal('/c/.claude.json')
    expect(claudeConfigFile({HOME: '/h'})).to.equal('/h/.claude.json')
  })

  it('marks the worktree trusted and keeps every other key', async () => {
    const before = {numStartups: 7, customApiKeyResponses: {approved: ['abc']}, projects: {'/other': {allowedTools: ['Bash'], hasTrustDialogAccepted: false}, '/wt/x': {history: [1, 2]}}}
    writeFileSync(file, JSON.stringify(before))
    expect(await preTrust(file, '/wt/x')).to.equal('trusted')
    const after = JSON.parse(readFileSync(file, 'utf8'))
    expect(after).to.deep.equal({...before, projects: {...before.projects, '/wt/x': {history: [1, 2], hasTrustDialogAccepted: true}}})
    expect(await preTrust(file, '/wt/x')).to.equal('already-trusted')
  })

  it('leaves a missing file missing', async () => {
    expect(await preTrust(file, '/wt/x')).to.equal('missing')
    expect(existsSync(file)).to.equal(false)
  })

  it('leaves a corrupt file untouched', async () => {
    writeFileSync(file, '{"projects": {oops')
    expect(await preTrust(file, '/wt/x')).to.equal('corrupt')
    expect(readFileSync(file, 'utf8')).to.equal('{"projects": {oops')
  })

  it('writes through a symlinked config to its target, keeping the link', async () => {
    const target = path.join(sb.dir, 'dotfiles', 'claude.json')
    mkdirSync(path.dirname(target))
    writeFileSync(target, JSON.stringify({numStartups: 2}), {mode: 0o600})
    symlinkSync(target, file)
    expect(await preTrust(file, '/wt/x')).to.equal('trusted')
    expect(lstatSync(file).isSymbolicLink(), 'the link was replaced').to.equal(true)
    expect(JSON.parse(readFileSync(target, 'utf8'))).to.deep.equal({numStartups: 2, projects: {'/wt/x': {hasTrustDialogAccepted: true}}})
    expect(statSync(target).mode & 0o777).to.equal(0o600)
    expect(readdirSync(path.dirname(target))).to.deep.equal(['claude.json'])
    expect(readdirSync(path.dirname(file)).filter((f) => f.includes('tmp'))).to.deep.equal([])
  })

  for (const [what, data] of [
    ['projects is a list', {projects: ['/wt/x']}],
    ['projects is a string', {projects: 'none'}],
    ['projects is null', {projects: null}],
    ["the worktree's entry is a string", {projects: {'/wt/x': 'trusted'}}],
  ] as const) {
    it(`leaves a file of unexpected shape untouched (${what})`, async () => {
      const text = JSON.stringify(data)
      writeFileSync(file, text)
      expect(await preTrust(file, '/wt/x')).to.equal('unexpected')
      expect(readFileSync(file, 'utf8')).to.equal(text)
    })
  }

  it('on a full disk fails naming the file, leaves it unchanged and no temp file behind', async function () {
    const disk = path.join(sb.dir, 'tiny')
    if (!mountTiny(disk)) this.skip()
    try {
      const target = path.join(disk, '.claude.json')
      const text = JSON.stringify({numStartups: 1, projects: {}, pad: 'x'.repeat(2000)})
      writeFileSync(target, text)
      fillDisk(disk)
      const error = await preTrust(target, '/wt/x').catch((e) => e)
      expect(error).to.be.instanceOf(FailureError)
      expect(error.message).to.include(target).and.match(/ENOSPC/)
      expect(readFileSync(target, 'utf8')).to.equal(text)
      expect(readdirSync(disk).sort()).to.deep.equal(['.claude.json', 'filler'])
    } finally {
      execFileSync('umount', [disk])
    }
  })

  it('takes the lock Claude Code itself holds while it saves the file', async () => {
    writeFileSync(file, JSON.stringify({projects: {}}))
    // Claude Code 2.1 saves under a proper-lockfile lock at <file>.lock; while it holds it, we wait.
    const release = await lockfile.lock(file, {lockfilePath: `${file}.lock`, realpath: false})
    let settled = false
    const pending = preTrust(file, '/wt/x').then((o) => ((settled = true), o))
    // A negative check, so it needs some time to pass: preTrust keeps retrying the lock meanwhile.
    await new Promise((r) => setTimeout(r, 300))
    expect(settled, 'preTrust finished while Claude held the lock').to.equal(false)
    expect(JSON.parse(readFileSync(file, 'utf8'))).to.deep.equal({projects: {}})
    writeFileSync(file, JSON.stringify({projects: {}, claudeWroteThis: true}))
    await release()
    expect(await pending).to.equal('trusted')
    const data = JSON.parse(readFileSync(file, 'utf8'))
    expect(data.claudeWroteThis).to.equal(true)
    expect(data.projects['/wt/x'].hasTrustDialogAccepted).to.equal(true)
    expect(existsSync(`${file}.lock`)).to.equal(false)
  })

  it('loses no key when 10 worktrees are trusted concurrently while Claude keeps saving the file', async () => {
    writeFileSync(file, JSON.stringify({projects: {}}))
    // A separate process that rewrites the file the way Claude Code does: lock, read, add a key, write, unlock.
    // Every read must parse: a torn file would throw and the writer would exit non-zero.
    const writer = spawn(process.execPath, ['-e', `
      const fs = require('fs'); const lockfile = require(${JSON.stringify(require.resolve('proper-lockfile'))});
      const f = ${JSON.stringify(file)};
      (async () => {
        for (let n = 0; n < 40; n++) {
          const release = await lockfile.lock(f, {lockfilePath: f + '.lock', realpath: false, retries: {retries: 200, minTimeout: 5, maxTimeout: 50}});
          const d = JSON.parse(fs.readFileSync(f, 'utf8')); d['writer' + n] = n;
          fs.writeFileSync(f + '.w', JSON.stringify(d)); fs.renameSync(f + '.w', f);
          await release();
          await new Promise((r) => setTimeout(r, 2));
        }
      })().catch((e) => { console.error(e); process.exit(1) })`], {stdio: ['ignore', 'ignore', 'inherit']})
    const writerDone = new Promise<number | null>((r) => writer.once('exit', r))
    const outcomes = await Promise.all(Array.from({length: 10}, (_, i) => preTrust(file, `/wt/${i}`)))
    expect(await writerDone).to.equal(0)
    expect(outcomes.every((o) => o === 'trusted')).to.equal(true)
    const data = JSON.parse(readFileSync(file, 'utf8'))
    for (let i = 0; i < 10; i++) expect(data.projects[`/wt/${i}`].hasTrustDialogAccepted, `/wt/${i}`).to.equal(true)
    for (let n = 0; n < 40; n++) expect(data[`writer${n}`], `writer${n}`).to.equal(n)
  })
})
