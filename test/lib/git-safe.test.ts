// The hardening every git call gets (SPEC §11): the pinned settings, the
// driver pins, the env, and where a worktree's git data may be. Tables; the
// payloads that prove each pin holds are in test/commands/hostile-worktree.
import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {isPlace, worktreePlace} from '../../src/lib/git-place.js'
import {PINNED, WORKTREE_PINNED, driverPins, needsDriverPins, pinArgs, safeGitEnv, transportArgs} from '../../src/lib/git-safe.js'
import {ROOT, git} from '../support/helpers.js'

const SRC = path.join(ROOT, 'src')

function sources(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []))
}

describe('git-safe', () => {
  it('git runs only through src/lib/git.ts, so every call gets the pins and the env (doctor asks only `git --version`)', () => {
    const found: string[] = []
    for (const file of sources(SRC)) {
      const rel = path.relative(SRC, file).split(path.sep).join('/')
      if (rel === 'lib/git.ts') continue
      readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
        if (/\b(spawn|spawnSync|execFile|execFileSync|exec|execSync|run|runForOutput)\(\s*['"`]git['"`]/.test(line) && !line.includes("['--version']")) found.push(`${rel}:${i + 1}: ${line.trim()}`)
      })
    }
    expect(found, `run git through gitQuery/gitAt (src/lib/git.ts) instead:\n${found.join('\n')}`).to.deep.equal([])
  })

  describe('PINNED: every setting git documents as starting a program, switched off', () => {
    const pins = new Map(PINNED)
    const table: Array<[string, string]> = [
      ['core.fsmonitor', 'false'],
      ['core.hooksPath', '/dev/null'],
      ['core.sshCommand', 'ssh'],
      ['core.gitProxy', ''],
      ['core.askPass', ''],
      ['core.editor', ':'],
      ['sequence.editor', ':'],
      ['core.pager', 'cat'],
      ['core.alternateRefsCommand', ''],
      ['core.untrackedCache', 'false'],
      ['diff.external', ''],
      ['gpg.program', 'false'],
      ['gpg.ssh.defaultKeyCommand', ''],
      ['log.showSignature', 'false'],
      ['uploadpack.packObjectsHook', ''],
      ['remote.origin.uploadpack', 'git-upload-pack'],
      ['protocol.ext.allow', 'never'],
      ['submodule.recurse', 'false'],
      ['gc.auto', '0'],
      ['safe.bareRepository', 'explicit'],
      ['core.useReplaceRefs', 'false'],
    ]
    for (const [key, value] of table) {
      it(`${key}=${value}`, () => expect(pins.get(key)).to.equal(value))
    }
    it("in a worktree, also credential.helper= (an empty value empties git's helper list)", () => {
      expect(new Map(WORKTREE_PINNED).get('credential.helper')).to.equal('')
      expect(pins.has('credential.helper'), 'the main checkout keeps the operator helper for fetching origin').to.equal(false)
    })
    it('as -c arguments, in order', () => {
      expect(pinArgs([['a.b', ''], ['c.d', 'x']])).to.deep.equal(['-c', 'a.b=', '-c', 'c.d=x'])
    })
  })

  describe('driverPins: each configured filter, diff and merge driver gets no program', () => {
    const table: Array<[string, string, Array<[string, string]>]> = [
      ['nothing configured', '', []],
      ['a filter', 'filter.evil.clean\nrun me\0', [['filter.evil.clean', ''], ['filter.evil.smudge', ''], ['filter.evil.process', ''], ['filter.evil.required', 'false']]],
      ['a diff driver, named twice', 'diff.x.textconv\na\0diff.x.command\nb\0', [['diff.x.command', ''], ['diff.x.textconv', ''], ['diff.x.cachetextconv', 'false']]],
      ['a merge driver with dots in its name', 'merge.my.drv.driver\nm %O\0', [['merge.my.drv.driver', '']]],
      ['section names in any case', 'Filter.lfs.clean\nx\0', [['filter.lfs.clean', ''], ['filter.lfs.smudge', ''], ['filter.lfs.process', ''], ['filter.lfs.required', 'false']]],
      ['other keys ignored', 'diff.external\nx\0core.fsmonitor\ny\0', []],
    ]
    for (const [title, listing, expected] of table) {
      it(title, () => expect(driverPins(listing)).to.deep.equal(expected))
    }
  })

  describe('needsDriverPins: commands that may read worktree files learn the drivers first', () => {
    const table: Array<[string[], boolean]> = [
      [['status', '--porcelain'], true],
      [['worktree', 'remove', '/x'], true],
      [['worktree', 'add', '/x', 'b'], true],
      [['worktree', 'list', '--porcelain'], false],
      [['rev-list', '--count', 'HEAD'], false],
      [['--git-dir=/x', 'symbolic-ref', 'HEAD'], false],
      [['diff', 'HEAD'], true],
      [['checkout', 'x'], true],
      [['cat-file', '--textconv', 'HEAD:a'], true],
      [['ls-files', '-m'], true],
    ]
    for (const [args, expected] of table) {
      it(`${args.join(' ')} → ${expected}`, () => expect(needsDriverPins(args)).to.equal(expected))
    }
  })

  describe('transportArgs: fetch and ls-remote name the upload-pack program (a config value beats a -c pin)', () => {
    const table: Array<[string[], string[]]> = [
      [['fetch', '--quiet', '--prune', 'origin'], ['fetch', '--upload-pack=git-upload-pack', '--quiet', '--prune', 'origin']],
      [['fetch', '--quiet', '--no-tags', 'origin'], ['fetch', '--upload-pack=git-upload-pack', '--quiet', '--no-tags', 'origin']],
      [['ls-remote', '--heads', 'origin'], ['ls-remote', '--upload-pack=git-upload-pack', '--heads', 'origin']],
      [['status', '--porcelain'], ['status', '--porcelain']],
      [['remote', 'get-url', 'origin'], ['remote', 'get-url', 'origin']],
      [[], []],
    ]
    for (const [args, expected] of table) it(`${args.join(' ') || '(none)'}`, () => expect(transportArgs(args)).to.deep.equal(expected))

    it('git runs a config file\'s remote.origin.uploadpack despite the -c pin, and not with --upload-pack', () => {
      const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'uploadpack-')))
      try {
        const remote = path.join(dir, 'remote.git')
        const repo = path.join(dir, 'repo')
        git(dir, 'init', '-q', '--bare', remote)
        git(dir, 'init', '-q', repo)
        git(repo, 'remote', 'add', 'origin', remote)
        const mark = path.join(dir, 'mark')
        git(repo, 'config', 'remote.origin.uploadpack', `touch '${mark}'; exit 1; :`)
        const run = (args: string[]) => {
          try {
            execFileSync('git', [...pinArgs(PINNED), ...args], {cwd: repo, stdio: 'ignore', env: {...process.env, GIT_CONFIG_NOSYSTEM: '1'}})
          } catch {}
        }
        run(['ls-remote', 'origin'])
        expect(readdirSync(dir)).to.include('mark') // the pin alone loses: why transportArgs exists
        rmSync(mark)
        run(transportArgs(['ls-remote', 'origin']))
        run(transportArgs(['fetch', '-q', 'origin']))
        expect(readdirSync(dir)).to.not.include('mark')
      } finally {
        rmSync(dir, {recursive: true, force: true})
      }
    })
  })

  describe('safeGitEnv: never the forge tokens, never a redirecting or program-starting GIT_* variable', () => {
    const table: Array<[string, NodeJS.ProcessEnv, string[], Record<string, string | undefined>]> = [
      ['drops the forge tokens', {GH_TOKEN: 'a', GITHUB_TOKEN: 'b', FORGEJO_TOKEN: 'c', PATH: '/bin'}, [], {GH_TOKEN: undefined, GITHUB_TOKEN: undefined, FORGEJO_TOKEN: undefined, PATH: '/bin'}],
      ['drops the configured tokenEnv', {MY_FORGE_TOKEN: 'x'}, ['MY_FORGE_TOKEN'], {MY_FORGE_TOKEN: undefined}],
      ['drops redirects', {GIT_DIR: '/x', GIT_WORK_TREE: '/y', GIT_COMMON_DIR: '/z', GIT_INDEX_FILE: 'i', GIT_OBJECT_DIRECTORY: 'o', GIT_ALTERNATE_OBJECT_DIRECTORIES: 'a', GIT_CONFIG: 'c', GIT_CONFIG_GLOBAL: 'g', GIT_CONFIG_SYSTEM: 's', GIT_NAMESPACE: 'n', GIT_CEILING_DIRECTORIES: '/'}, [], {GIT_DIR: undefined, GIT_WORK_TREE: undefined, GIT_COMMON_DIR: undefined, GIT_INDEX_FILE: undefined, GIT_OBJECT_DIRECTORY: undefined, GIT_ALTERNATE_OBJECT_DIRECTORIES: undefined, GIT_CONFIG: undefined, GIT_CONFIG_GLOBAL: undefined, GIT_CONFIG_SYSTEM: undefined, GIT_NAMESPACE: undefined, GIT_CEILING_DIRECTORIES: undefined}],
      ['drops programs', {GIT_EXEC_PATH: '/evil', GIT_EXTERNAL_DIFF: 'x', GIT_SSH: 'x', GIT_ASKPASS: 'x', SSH_ASKPASS: 'x', GIT_PROXY_COMMAND: 'x', GIT_TEMPLATE_DIR: 'x', GIT_TRACE: '/tmp/t', GIT_CONFIG_PARAMETERS: "'core.fsmonitor=x'"}, [], {GIT_EXEC_PATH: undefined, GIT_EXTERNAL_DIFF: undefined, GIT_SSH: undefined, GIT_ASKPASS: undefined, SSH_ASKPASS: undefined, GIT_PROXY_COMMAND: undefined, GIT_TEMPLATE_DIR: undefined, GIT_TRACE: undefined, GIT_CONFIG_PARAMETERS: undefined}],
      ['pins pager and editors', {EDITOR: 'vim', VISUAL: 'x', PAGER: 'less', GIT_PAGER: 'less', GIT_EDITOR: 'x', GIT_SEQUENCE_EDITOR: 'x'}, [], {EDITOR: undefined, VISUAL: undefined, PAGER: undefined, GIT_PAGER: 'cat', GIT_EDITOR: ':', GIT_SEQUENCE_EDITOR: ':'}],
      ['keeps identity and the env config pairs (the -c pins win over them)', {GIT_AUTHOR_NAME: 'A', GIT_COMMITTER_EMAIL: 'e', GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'k', GIT_CONFIG_VALUE_0: 'v'}, [], {GIT_AUTHOR_NAME: 'A', GIT_COMMITTER_EMAIL: 'e', GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'k', GIT_CONFIG_VALUE_0: 'v'}],
      ['no replace refs: the worker writes refs', {}, [], {GIT_NO_REPLACE_OBJECTS: '1'}],
      ["BatchMode ssh, or the operator's own", {GIT_SSH_COMMAND: 'ssh -i k'}, [], {GIT_SSH_COMMAND: 'ssh -i k', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C'}],
    ]
    for (const [title, base, secrets, expected] of table) {
      it(title, () => {
        const env = safeGitEnv(base, secrets)
        for (const [k, v] of Object.entries(expected)) expect(env[k], k).to.equal(v)
      })
    }
  })

  describe('worktreePlace: from the checkout side; a pointer elsewhere is not followed', () => {
    let dir: string
    let checkout: string
    let wt: string
    let admin: string
    beforeEach(() => {
      dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'dispatch-place-')))
      checkout = path.join(dir, 'main')
      wt = path.join(dir, 'wt')
      mkdirSync(checkout)
      git(checkout, 'init', '-q', '-b', 'main')
      git(checkout, 'commit', '-q', '--allow-empty', '-m', 'init')
      git(checkout, 'worktree', 'add', '-q', '-b', 'dispatch/x', wt)
      admin = path.join(checkout, '.git', 'worktrees', 'wt')
    })
    afterEach(() => rmSync(dir, {recursive: true, force: true}))

    const reason = (p: ReturnType<typeof worktreePlace>) => (isPlace(p) ? '' : p.reason)

    it('a worktree as git made it', () => {
      expect(worktreePlace(checkout, wt)).to.deep.equal({workTree: wt, gitDir: admin, commonDir: path.join(checkout, '.git')})
    })
    const table: Array<[string, () => void, RegExp]> = [
      ['no .git', () => rmSync(path.join(wt, '.git')), /^not a git worktree$/],
      ['.git is a directory', () => (rmSync(path.join(wt, '.git')), mkdirSync(path.join(wt, '.git'))), /not a worktree pointer file/],
      ['.git is a symlink', () => (rmSync(path.join(wt, '.git')), symlinkSync(admin, path.join(wt, '.git'))), /not a worktree pointer file/],
      ['.git points at a repository inside the worktree', () => writeFileSync(path.join(wt, '.git'), `gitdir: ${path.join(wt, 'evil.git')}\n`), /points at .*evil\.git, not into .*main\/\.git\/worktrees\/; not followed/],
      ["admin dir's gitdir names another worktree", () => writeFileSync(path.join(admin, 'gitdir'), `${path.join(dir, 'other', '.git')}\n`), /belongs to .*other; not followed/],
      ["admin dir's commondir rewritten", () => writeFileSync(path.join(admin, 'commondir'), `${path.join(wt, 'evil')}\n`), /names .*wt\/evil common directory, not .*main\/\.git; not followed/],
    ]
    for (const [title, spoil, expected] of table) {
      it(title, () => {
        spoil()
        expect(reason(worktreePlace(checkout, wt))).to.match(expected)
      })
    }
    it('a checkout that is not a git checkout', () => {
      expect(reason(worktreePlace(dir, wt))).to.match(/is not a git checkout/)
    })
  })
})
