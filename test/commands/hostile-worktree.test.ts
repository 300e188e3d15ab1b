// SPEC §11, issue #20 part 1: the worktree is hostile input. A worker plants,
// in its worktree and its admin directory (and, unsandboxed, the main
// checkout's hooks), every git setting that can start a program, each one a
// payload that writes a marker file. A positive control shows plain git WOULD
// run each one; then reap --dry-run, reap, an ordinary dispatch (its quiet
// sweep), status REF (the outcome lookup) and a redispatch that reuses the
// worktree must leave no marker. A `.git` pointing elsewhere, and an admin
// directory whose `commondir` was rewritten, are not followed: reap keeps
// those worktrees and says why.
import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {useForgeSandbox} from '../support/forge-sandbox.js'
import {git, runCli, waitFor, type Sandbox} from '../support/helpers.js'
import {records} from '../support/state.js'

interface Entry {
  path: string
  action: string
  reason: string
}

interface Hostile {
  /** The dispatched worktree: payloads in its admin dir's config.worktree, its files and the main hooks. */
  planted: string
  /** Its admin dir's `commondir` rewritten to a repository the worker made. */
  common: string
  /** Its `.git` file pointing into a repository the worker made inside it (the attack found). */
  elsewhere: string
  branch: string
  marks: string
  /** Each payload's label and the plain git command that runs it (the positive control). */
  controls: Array<[label: string, run: () => void]>
  /** Give the filtered files new mtimes: the next status compares their contents through the filters. */
  racy: () => void
}

/** Plain git with nothing of dispatch's: what a person (or the worker) would run. */
function plain(cwd: string, args: string[], input?: string, extra: NodeJS.ProcessEnv = {}): void {
  const env: NodeJS.ProcessEnv = {...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', ...extra, GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@e.invalid', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@e.invalid'}
  for (const k of ['GIT_SSH_COMMAND', 'GIT_SSH', 'GIT_ASKPASS', 'SSH_ASKPASS', 'GIT_EDITOR', 'EDITOR', 'VISUAL', 'GIT_PAGER']) delete env[k]
  try {
    execFileSync('git', args, {cwd, env, input: input ?? '', stdio: ['pipe', 'ignore', 'pipe'], timeout: 20_000})
  } catch (error) {
    if (process.env.HOSTILE_DEBUG) console.log(args.join(' '), String((error as {stderr?: unknown}).stderr))
    // Many payloads make git fail afterwards; the marker is what counts.
  }
}

const old = () => new Date(Date.now() - 10 * 60_000)

/** Make the three hostile worktrees after `dispatch headless` made the first and its worker ended. */
function plant(sb: Sandbox, checkout: string, planted: string, branch: string): Hostile {
  const marks = path.join(sb.dir, 'marks')
  mkdirSync(marks)
  const payload = path.join(sb.dir, 'payload.sh')
  // Filters must pass content through; everything else just leaves its mark.
  writeFileSync(payload, `#!/bin/sh\ntouch '${marks}'/"$1"\ncase "$1" in clean|smudge|include|includeIf) exec cat ;; esac\nexit 0\n`)
  chmodSync(payload, 0o755)
  const run = (label: string) => `${payload} ${label}`
  /** For settings git runs without a shell: a program of its own. */
  const program = (label: string) => {
    const file = path.join(sb.dir, `payload-${label}`)
    writeFileSync(file, `#!/bin/sh\nexec ${run(label)}\n`)
    chmodSync(file, 0o755)
    return file
  }
  const admin = git(planted, 'rev-parse', '--absolute-git-dir')

  // The worker's committed files: attributes naming drivers, an include target, a hooks dir. Pushed, so reap may remove it.
  writeFileSync(path.join(planted, '.gitattributes'), 'a.txt filter=evil diff=evil\ninc.txt filter=inc\nincif.txt filter=incif\np.txt filter=proc\nm.txt merge=evil\n')
  for (const f of ['a.txt', 'inc.txt', 'incif.txt', 'p.txt', 'm.txt']) writeFileSync(path.join(planted, f), `${f}\n`)
  writeFileSync(path.join(planted, 'included.cfg'), `[filter "inc"]\n\tclean = ${run('include')}\n`)
  writeFileSync(path.join(planted, 'included-if.cfg'), `[filter "incif"]\n\tclean = ${run('includeIf')}\n`)
  mkdirSync(path.join(planted, 'hooks'))
  for (const hook of ['reference-transaction', 'post-checkout', 'pre-commit', 'post-index-change', 'pre-auto-gc', 'post-rewrite']) {
    writeFileSync(path.join(planted, 'hooks', hook), `#!/bin/sh\n${run('hooksPath')}\n`)
    chmodSync(path.join(planted, 'hooks', hook), 0o755)
  }
  git(planted, 'add', '-A')
  git(planted, 'commit', '-q', '-m', 'worker files')
  // A commit carrying a signature: showing it with log.showSignature runs gpg.program (reap reads the branch's reflog).
  const head = git(planted, 'rev-parse', 'HEAD')
  const signed = `tree ${git(planted, 'rev-parse', 'HEAD^{tree}')}\nparent ${head}\nauthor T <t@e.invalid> 1700000000 +0000\ncommitter T <t@e.invalid> 1700000000 +0000\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n iQ==\n -----END PGP SIGNATURE-----\n\nsigned\n`
  const sha = execFileSync('git', ['hash-object', '-t', 'commit', '-w', '--stdin'], {cwd: planted, input: signed, encoding: 'utf8'}).trim()
  git(planted, 'update-ref', '-m', 'commit: signed', `refs/heads/${branch}`, sha, head)
  git(planted, 'push', '-q', 'origin', branch)
  // Two commits that change m.txt both ways (no ref names them): merging them runs its merge driver.
  const side = (text: string) => {
    const index = path.join(sb.dir, `index-${text}`)
    const at = (args: string[], input = '') => execFileSync('git', args, {cwd: planted, input, encoding: 'utf8', env: {...process.env, GIT_INDEX_FILE: index}}).trim()
    at(['read-tree', sha])
    at(['update-index', '--cacheinfo', `100644,${at(['hash-object', '-w', '--stdin'], `${text}\n`)},m.txt`])
    return at(['commit-tree', '-p', sha, '-m', text, at(['write-tree'])])
  }
  const [ours, theirs] = [side('ours'), side('theirs')]

  // The operator runs with per-worktree config on (sparse checkouts want it); the worker writes its own.
  git(checkout, 'config', 'extensions.worktreeConfig', 'true')
  const wtConfig = path.join(admin, 'config.worktree')
  const set = (key: string, value: string) => git(checkout, 'config', '--file', wtConfig, key, value)
  set('core.fsmonitor', run('fsmonitor'))
  set('core.hooksPath', path.join(planted, 'hooks'))
  set('filter.evil.clean', run('clean'))
  set('filter.evil.smudge', run('smudge'))
  set('filter.evil.required', 'true')
  set('filter.proc.process', run('process'))
  set('diff.evil.textconv', run('textconv'))
  set('diff.external', run('external'))
  set('diff.evil.command', run('diff-command')) // a.txt's diff driver: wins over diff.external for it
  set('merge.evil.driver', run('merge-driver'))
  set('include.path', path.join(planted, 'included.cfg'))
  set('includeIf.gitdir:**/worktrees/**.path', path.join(planted, 'included-if.cfg'))
  set('core.editor', run('editor'))
  set('sequence.editor', run('sequence-editor'))
  set('core.gitProxy', program('gitproxy'))
  set('log.showSignature', 'true')
  set('gpg.program', program('gpg'))
  set('credential.helper', `!${run('credential')}`)
  set('core.askPass', program('askpass'))
  set('core.sshCommand', run('ssh'))
  set('protocol.ext.allow', 'always')
  set(`url.ext::${run('ext')} %S .insteadOf`, path.join(sb.remotes, 'acme', 'api.git'))
  // Unsandboxed, the worker can also write the main checkout's hooks: ref updates (branch -D) and worktree add run them.
  for (const hook of ['reference-transaction', 'post-checkout', 'post-index-change']) {
    writeFileSync(path.join(checkout, '.git', 'hooks', hook), `#!/bin/sh\n${run('main-hook')}\n`)
    chmodSync(path.join(checkout, '.git', 'hooks', hook), 0o755)
  }
  // …and the main checkout's config and objects: every fetch of the path origin there (reap's,
  // the sweep's, a dispatch's) would run its upload-pack, and the alternate-refs command of an
  // alternate object store the worker adds. (uploadpack.packObjectsHook is not planted: git reads
  // it only from system/global/command-line config, never a repository's. core.pager is not
  // either: git pages only when its stdout is a terminal, and dispatch's git never has one.)
  const alternate = path.join(sb.dir, 'alternate.git')
  git(sb.dir, 'clone', '-q', '--bare', checkout, alternate)
  writeFileSync(path.join(checkout, '.git', 'objects', 'info', 'alternates'), `${path.join(alternate, 'objects')}\n`)
  git(checkout, 'config', 'remote.origin.uploadpack', run('uploadpack'))
  git(checkout, 'config', 'core.alternateRefsCommand', run('alternate-refs'))
  // Same content with a new mtime: status must compare contents, through the filters.
  // NOTE: git may compare whole seconds only: each call moves the mtime by seconds.
  let shift = 0
  const racy = () => {
    const when = new Date(Date.now() - 20 * 60_000 - 2000 * ++shift)
    for (const f of ['a.txt', 'inc.txt', 'incif.txt', 'p.txt', 'm.txt']) utimesSync(path.join(planted, f), when, when)
  }
  racy()

  // A worktree whose admin dir's commondir names a repository the worker made, with core.fsmonitor.
  const common = path.join(sb.worktreeRoot, 'acme', 'api', 'issue-21-common')
  git(checkout, 'worktree', 'add', '-q', '-b', 'dispatch/issue-21-common', common, 'main')
  const evilCommon = path.join(common, '.evil-common')
  git(sb.dir, 'clone', '-q', '--bare', checkout, evilCommon)
  git(evilCommon, 'config', 'core.bare', 'false')
  git(evilCommon, 'config', 'core.fsmonitor', run('commondir'))
  writeFileSync(path.join(git(common, 'rev-parse', '--absolute-git-dir'), 'commondir'), `${evilCommon}\n`)

  // The attack found: `.git` points into a repository the worker made inside the worktree (so the
  // "main checkout" read from it is the worker's), whose config sets core.fsmonitor.
  const elsewhere = path.join(sb.worktreeRoot, 'acme', 'api', 'issue-22-elsewhere')
  git(checkout, 'worktree', 'add', '-q', '-b', 'dispatch/issue-22-elsewhere', elsewhere, 'main')
  const evil = path.join(elsewhere, 'evil')
  git(sb.dir, 'clone', '-q', checkout, evil)
  git(evil, 'worktree', 'add', '-q', '-b', 'dispatch/issue-22-elsewhere', path.join(sb.dir, 'evil-wt'), 'origin/main')
  const evilAdmin = path.join(evil, '.git', 'worktrees', 'evil-wt')
  writeFileSync(path.join(evilAdmin, 'gitdir'), `${path.join(elsewhere, '.git')}\n`)
  git(evil, 'config', 'core.fsmonitor', run('elsewhere'))
  writeFileSync(path.join(elsewhere, '.git'), `gitdir: ${evilAdmin}\n`)
  rmSync(path.join(sb.dir, 'evil-wt'), {recursive: true})

  const controls: Array<[string, () => void]> = [
    ['fsmonitor', () => plain(planted, ['status', '--porcelain'])],
    ['clean', () => (racy(), plain(planted, ['-c', 'core.fsmonitor=false', '-c', 'filter.proc.process=', 'status', '--porcelain']))],
    ['include', () => (racy(), plain(planted, ['-c', 'core.fsmonitor=false', '-c', 'filter.proc.process=', 'status', '--porcelain']))],
    ['includeIf', () => (racy(), plain(planted, ['-c', 'core.fsmonitor=false', '-c', 'filter.proc.process=', 'status', '--porcelain']))],
    ['process', () => (racy(), plain(planted, ['-c', 'core.fsmonitor=false', 'status', '--porcelain']))],
    ['smudge', () => {
      rmSync(path.join(planted, 'a.txt'))
      plain(planted, ['-c', 'core.fsmonitor=false', '-c', 'filter.proc.process=', 'checkout', 'HEAD', '--', 'a.txt'])
      utimesSync(path.join(planted, 'a.txt'), old(), old())
    }],
    ['hooksPath', () => plain(planted, ['update-ref', 'refs/heads/dispatch/probe', 'HEAD'])],
    ['textconv', () => plain(planted, ['cat-file', '--textconv', 'HEAD:a.txt'])],
    ['external', () => plain(planted, ['diff', 'HEAD~2'])],
    ['diff-command', () => plain(planted, ['diff', 'HEAD~2', '--', 'a.txt'])],
    ['merge-driver', () => plain(planted, ['merge-tree', '--write-tree', ours, theirs])],
    ['uploadpack', () => plain(checkout, ['fetch', '-q', 'origin'])],
    ['alternate-refs', () => plain(checkout, ['fetch', '-q', '--upload-pack=git-upload-pack', 'origin'])],
    ['editor', () => plain(planted, ['-c', 'filter.proc.process=', 'commit', '--allow-empty'])],
    ['credential', () => plain(planted, ['credential', 'fill'], 'protocol=https\nhost=example.invalid\n\n')],
    ['askpass', () => plain(planted, ['credential', 'fill'], 'protocol=https\nhost=example.invalid\n\n', {GIT_TERMINAL_PROMPT: '1'})],
    ['ssh', () => plain(planted, ['ls-remote', 'ssh://example.invalid/x.git'])],
    ['gitproxy', () => plain(planted, ['ls-remote', 'git://example.invalid/x.git'])],
    ['sequence-editor', () => plain(planted, ['-c', 'filter.proc.process=', 'rebase', '-i', 'HEAD~1'])],
    ['ext', () => plain(planted, ['ls-remote', 'origin'])],
    ['main-hook', () => plain(checkout, ['update-ref', '-d', 'refs/heads/dispatch/probe'])],
    ['gpg', () => plain(planted, ['reflog', 'show', '--format=%gs', `refs/heads/${branch}`])],
    ['commondir', () => plain(common, ['status', '--porcelain'])],
    ['elsewhere', () => plain(elsewhere, ['status', '--porcelain'])],
  ]
  return {planted, common, elsewhere, branch, marks, controls, racy}
}

/** What ran: the markers left. */
const ran = (h: Hostile) => readdirSync(h.marks).sort()

describe('the worktree is hostile input (through the binary)', function () {
  this.timeout(120_000)
  const t = useForgeSandbox({
    repos: ['acme/api'],
    issues: [
      {owner: 'acme', repo: 'api', number: 7, title: 'Hostile worker'},
      {owner: 'acme', repo: 'api', number: 8, title: 'Another task'},
    ],
  })
  let sb: Sandbox
  let env: NodeJS.ProcessEnv
  let h: Hostile

  beforeEach(async () => {
    ;({sb, env} = t)
    const first = await runCli(['headless', 'acme/api#7', '--json'], {env: {...env, STANDIN_COMMIT: '1'}, cwd: sb.dir})
    expect(first.code, first.stderr).to.equal(0)
    const {cwd, branch} = JSON.parse(first.stdout)
    await waitFor('the worker to end', () => records(sb)[0]?.ended_at)
    h = plant(sb, t.checkouts['acme/api'], cwd, branch)
    // Each payload is live: plain git runs it.
    for (const [label, run] of h.controls) {
      run()
      expect(existsSync(path.join(h.marks, label)), `plain git runs the ${label} payload`).to.equal(true)
      // A control may set off other payloads too (a commit runs hooks and filters): start each clean.
      for (const f of ran(h)) rmSync(path.join(h.marks, f))
    }
    h.racy()
  })

  /** Old enough for the quiet sweep, which spares worktrees made in the last two minutes. */
  const age = () => {
    for (const dir of [h.planted, h.common, h.elsewhere]) utimesSync(path.join(dir, '.git'), old(), old())
  }

  it('reap --dry-run runs nothing, and keeps the worktrees whose git pointers lead elsewhere, saying why', async () => {
    age()
    const res = await runCli(['reap', '--dry-run', '--json'], {env, cwd: sb.dir})
    expect(res.code, res.stderr).to.equal(0)
    expect(ran(h)).to.deep.equal([])
    const out: Entry[] = JSON.parse(res.stdout)
    const at = (p: string) => out.find((e) => e.path === p)!
    expect(at(h.planted)).to.deep.include({action: 'would-remove'})
    expect(at(h.elsewhere)).to.deep.include({action: 'kept'})
    expect(at(h.elsewhere).reason).to.match(/^its \.git points at .*issue-22-elsewhere\/evil\/\.git\/worktrees\/evil-wt, not into .*workspace\/acme\/api\/\.git\/worktrees\/; not followed$/)
    expect(at(h.common)).to.deep.include({action: 'kept'})
    expect(at(h.common).reason).to.match(/\.evil-common common directory, not .*\.git; not followed/)
    // The human output says the same.
    const human = await runCli(['reap', '--dry-run'], {env, cwd: sb.dir})
    expect(human.stdout).to.match(/kept +.*issue-22-elsewhere.*not followed/)
    expect(ran(h)).to.deep.equal([])
  })

  it('reap removes the pushed worktree (worktree remove, branch -D) and runs nothing', async () => {
    age()
    const res = await runCli(['reap', '--json'], {env, cwd: sb.dir})
    expect(res.code, res.stderr).to.equal(0)
    expect(ran(h)).to.deep.equal([])
    const out: Entry[] = JSON.parse(res.stdout)
    expect(out.find((e) => e.path === h.planted), res.stdout).to.deep.include({action: 'removed'})
    expect(existsSync(h.planted)).to.equal(false)
    expect(existsSync(h.common) && existsSync(h.elsewhere)).to.equal(true)
  })

  it("an ordinary dispatch's quiet sweep runs nothing", async () => {
    age()
    const res = await runCli(['headless', 'acme/api#8', '--json'], {env, cwd: sb.dir})
    expect(res.code, res.stderr).to.equal(0)
    // The sweep runs in the background once the worker started: wait for it to have removed the pushed one and finished.
    await waitFor('the background sweep', () => !existsSync(h.planted) && !existsSync(path.join(sb.stateDir, 'locks', 'sweep-acme+api.lock')), 60_000)
    expect(ran(h)).to.deep.equal([])
    // The sweep removed the pushed one and left the others.
    expect(existsSync(h.planted)).to.equal(false)
    expect(existsSync(h.common) && existsSync(h.elsewhere)).to.equal(true)
  })

  it("git never gets the forge tokens or the caller's GIT_* redirects (the operator's own ssh command sees its env)", async () => {
    const checkout = t.checkouts['acme/api']
    git(checkout, 'remote', 'set-url', 'origin', 'ssh://git@example.invalid/acme/api.git')
    const seen = path.join(sb.dir, 'ssh-env')
    const ssh = path.join(sb.dir, 'ssh-dump')
    writeFileSync(ssh, `#!/bin/sh\nenv > '${seen}'\nexit 1\n`)
    chmodSync(ssh, 0o755)
    const res = await runCli(['reap', '--dry-run', '--json'], {
      env: {...env, GH_TOKEN: 'gh-secret', GITHUB_TOKEN: 'github-secret', FORGEJO_TOKEN: 'fj-secret', GIT_SSH_COMMAND: ssh, GIT_DIR: h.elsewhere, GIT_CONFIG_GLOBAL: path.join(h.planted, 'included.cfg'), GIT_EXEC_PATH: h.planted},
      cwd: sb.dir,
    })
    expect(res.code, res.stderr).to.equal(0)
    expect(ran(h)).to.deep.equal([])
    const vars = readFileSync(seen, 'utf8')
    expect(vars).to.match(/^PATH=/m)
    // (git sets GIT_EXEC_PATH to its own for what it starts.)
    expect(vars.split('\n').filter((l) => /secret|^GIT_DIR=|^GIT_CONFIG_GLOBAL=/.test(l) || l === `GIT_EXEC_PATH=${h.planted}`)).to.deep.equal([])
  })

  it('status REF (the outcome lookup) runs nothing', async () => {
    const res = await runCli(['status', 'acme/api#7', '--json'], {env, cwd: sb.dir})
    expect(res.code, res.stderr).to.equal(0)
    expect(ran(h)).to.deep.equal([])
  })

  it('status REF runs nothing for a record that names no checkout (git asked in the worktree itself)', async () => {
    // Records from before `checkout` was recorded: the outcome lookup asks git in the worktree (ls-remote origin there).
    const dir = path.join(sb.stateDir, 'sidequests')
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
      const r = JSON.parse(readFileSync(path.join(dir, f), 'utf8'))
      delete r.checkout
      writeFileSync(path.join(dir, f), JSON.stringify(r))
    }
    const res = await runCli(['status', 'acme/api#7', '--json'], {env, cwd: sb.dir})
    expect(res.code, res.stderr).to.equal(0)
    expect(ran(h)).to.deep.equal([])
  })

  it('a redispatch that reuses the worktree runs nothing', async () => {
    const res = await runCli(['headless', 'acme/api#7', '--json'], {env, cwd: sb.dir})
    expect(res.code, res.stderr).to.equal(0)
    expect(JSON.parse(res.stdout).cwd).to.equal(h.planted)
    expect(ran(h)).to.deep.equal([])
  })
})
