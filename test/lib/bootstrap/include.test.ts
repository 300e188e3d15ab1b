import {expect} from 'chai'
import {existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {copyIncluded, listIncluded, selectIncluded} from '../../../src/lib/bootstrap/include.js'
import {git, makeRepo, makeSandbox, type Sandbox} from '../../support/helpers.js'

describe('bootstrap: .worktreeinclude', function () {
  this.timeout(30_000)

  describe('selectIncluded (pure)', () => {
    const table: Array<[string, string[], string[], string[]]> = [
      ['an ignored file that matches', ['.env'], ['.env'], ['.env']],
      ['a matching file git does not ignore is left out', [], ['notes.txt'], []],
      ['an ignored file that does not match is left out', ['.env', 'dist/'], ['.env'], ['.env']],
      ['a file under an ignored directory', ['config/'], ['config/local.json'], ['config/local.json']],
      ['a whole ignored directory (a nested repository)', ['vendor/lib/'], ['vendor/lib/'], ['vendor/lib/']],
      ['a prefix that is not a directory does not count', ['conf'], ['config/x'], []],
      ['no .. escapes', ['../x'], ['../x'], []],
      ['sorted and unique', ['b', 'a'], ['b', 'a', 'b'], ['a', 'b']],
    ]
    for (const [title, ignored, matching, want] of table) {
      it(title, () => expect(selectIncluded(ignored, matching)).to.deep.equal(want))
    }
  })

  describe('listing and copying in real repositories', () => {
    let sb: Sandbox
    let checkout: string
    let wt: string
    beforeEach(() => {
      sb = makeSandbox()
      checkout = makeRepo(sb, 'acme', 'api', {origin: false})
      wt = path.join(sb.dir, 'wt')
      git(checkout, 'worktree', 'add', '-q', '-b', 'work', wt)
    })
    afterEach(() => sb.cleanup())

    function files(layout: Record<string, string>): void {
      for (const [rel, text] of Object.entries(layout)) {
        mkdirSync(path.dirname(path.join(checkout, rel)), {recursive: true})
        writeFileSync(path.join(checkout, rel), text)
      }
    }

    it('lists nothing without a .worktreeinclude', async () => {
      files({'.gitignore': '.env\n', '.env': 'A=1\n'})
      expect(await listIncluded(checkout)).to.deep.equal([])
    })

    it('copies only files that are both included and ignored, keeping the owner mode bits (never group or other) and nested directories', async () => {
      files({
        '.gitignore': '.env\n*.local\nsecrets/\nbuild/\n',
        // As in .gitignore, a file under an excluded directory cannot be re-included: `secrets/**` lets the negation work.
        '.worktreeinclude': '.env\n*.local\nsecrets/**\n!secrets/skip.txt\nuntracked.txt\n',
        '.env': 'TOKEN=x\n',
        'app.local': 'local\n',
        'deep/er/conf.local': 'deep\n',
        'secrets/a/b/key.pem': 'KEY\n',
        'secrets/skip.txt': 'no\n',
        'build/out.js': 'built\n',
        'untracked.txt': 'not ignored\n',
      })
      writeFileSync(path.join(checkout, 'run.local'), '#!/bin/sh\n', {mode: 0o755})
      const list = await listIncluded(checkout)
      expect(list).to.include.members(['.env', 'app.local', 'deep/er/conf.local', 'run.local', 'secrets/a/b/key.pem'])
      expect(list).not.to.include('untracked.txt')
      expect(list).not.to.include('build/out.js')
      expect(list).not.to.include('secrets/skip.txt')
      const result = await copyIncluded(checkout, wt, list)
      expect(result.skipped).to.deep.equal([])
      expect(readFileSync(path.join(wt, '.env'), 'utf8')).to.equal('TOKEN=x\n')
      expect(readFileSync(path.join(wt, 'deep/er/conf.local'), 'utf8')).to.equal('deep\n')
      expect(readFileSync(path.join(wt, 'secrets/a/b/key.pem'), 'utf8')).to.equal('KEY\n')
      // Owner bits only: group and other lose read (and execute) in the worktree.
      expect(statSync(path.join(wt, 'run.local')).mode & 0o777).to.equal(0o700)
      expect(statSync(path.join(wt, '.env')).mode & 0o077).to.equal(0)
      expect(statSync(path.join(wt, 'secrets/a/b')).mode & 0o077, 'a directory made for a copy').to.equal(0)
      expect(existsSync(path.join(wt, 'untracked.txt'))).to.equal(false)
      expect(existsSync(path.join(wt, 'build'))).to.equal(false)
      expect(existsSync(path.join(wt, 'secrets/skip.txt'))).to.equal(false)
    })

    it('refuses symlinks that leave the checkout (file and directory) and keeps those that stay inside', async () => {
      const outside = path.join(sb.dir, 'outside')
      mkdirSync(outside)
      writeFileSync(path.join(outside, 'secret'), 'outside\n')
      // `linked`, not `linked/`: to git a symlink is not a directory.
      files({'.gitignore': '*.link\nlinked\n.env\n', '.worktreeinclude': '*.link\nlinked\n.env\n', '.env': 'A=1\n'})
      symlinkSync(path.join(outside, 'secret'), path.join(checkout, 'out.link'))
      symlinkSync(outside, path.join(checkout, 'linked'))
      symlinkSync('.env', path.join(checkout, 'in.link'))
      const list = await listIncluded(checkout)
      const result = await copyIncluded(checkout, wt, list)
      expect(result.skipped.map((s) => s.path).sort()).to.deep.equal(['linked', 'out.link'])
      expect(result.skipped[0].reason).to.match(/outside the checkout/)
      expect(existsSync(path.join(wt, 'out.link'))).to.equal(false)
      expect(existsSync(path.join(wt, 'linked'))).to.equal(false)
      expect(lstatSync(path.join(wt, 'in.link')).isSymbolicLink()).to.equal(true)
      expect(readlinkSync(path.join(wt, 'in.link'))).to.equal('.env')
      expect(result.copied).to.include.members(['.env', 'in.link'])
    })

    it('never overwrites a file already in the worktree, and a dry run copies nothing', async () => {
      files({'.gitignore': '.env\n*.local\n', '.worktreeinclude': '.env\n*.local\n', '.env': 'new\n', 'a.local': 'x\n'})
      writeFileSync(path.join(wt, '.env'), 'mine\n')
      const list = await listIncluded(checkout)
      const dry = await copyIncluded(checkout, wt, list, {dryRun: true})
      expect(dry.copied).to.deep.equal(['.env', 'a.local'])
      expect(existsSync(path.join(wt, 'a.local'))).to.equal(false)
      await copyIncluded(checkout, wt, list)
      expect(readFileSync(path.join(wt, '.env'), 'utf8')).to.equal('mine\n')
      expect(readFileSync(path.join(wt, 'a.local'), 'utf8')).to.equal('x\n')
    })
  })
})
