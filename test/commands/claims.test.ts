// Repository-scoped claims (SPEC §10), through the real binary: a claim is owner/repo plus
// a path relative to the repository root, the same from the checkout, from any worktree of
// it, and from an absolute path into either.
import {expect} from 'chai'
import {spawn, type ChildProcess} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {processStartTime} from '../../src/lib/proc.js'
import {useForgeSandbox} from '../support/forge-sandbox.js'
import {git, makeRepo, runCli, waitFor} from '../support/helpers.js'
import {records} from '../support/state.js'

describe('repository-scoped claims (through the binary)', function () {
  this.timeout(60_000)
  const t = useForgeSandbox({hold: true, env: {GH_TOKEN: 'ghp_test'}})
  let {forge, sb, env} = t
  let api: string
  let web: string
  /** Where #12's worker runs. */
  const wt12 = () => path.join(sb.worktreeRoot, 'acme', 'api', 'issue-12-fix-the-login-bug')
  const sleepers: ChildProcess[] = []

  beforeEach(() => {
    ;({forge, sb, env} = t)
    api = makeRepo(sb, 'acme', 'api')
    web = makeRepo(sb, 'acme', 'web')
    forge.addIssue({owner: 'acme', repo: 'api', number: 12, title: 'Fix the login bug'})
    forge.addIssue({owner: 'acme', repo: 'api', number: 13, title: 'Second issue'})
    forge.addIssue({owner: 'acme', repo: 'api', number: 14, title: 'Third issue'})
    forge.addIssue({owner: 'acme', repo: 'web', number: 5, title: 'Web issue'})
  })
  afterEach(() => {
    for (const s of sleepers.splice(0)) s.kill('SIGKILL')
  })

  async function dispatch(args: string[], cwd: string, extraEnv: NodeJS.ProcessEnv = {}) {
    return runCli(args, {env: {...env, ...extraEnv}, cwd})
  }

  async function conflicts(args: string[], cwd: string) {
    const res = await runCli(['sidequests', 'conflicts', ...args], {env, cwd})
    return {...res, json: args.includes('--json') && res.stdout ? JSON.parse(res.stdout) : undefined}
  }

  describe('a worker that claims src/auth, dispatched from the checkout', () => {
    let pid: number
    beforeEach(async () => {
      const res = await dispatch(['headless', 'acme/api#12', '--claims', 'src/auth'], api)
      expect(res.code, res.stderr).to.equal(0)
      pid = records(sb)[0].pid
    })

    it('is recorded as acme/api plus src/auth', () => {
      const [record] = records(sb)
      expect(record).to.include({schema_version: 2, repo: 'acme/api'})
      expect(record.paths_claimed).to.deep.equal(['src/auth'])
    })

    it('conflicts with src/auth/login.ts from the checkout, the worktree, another worktree, and an absolute path into the worktree', async () => {
      const other = path.join(sb.dir, 'api-other')
      git(api, 'worktree', 'add', '-q', '-b', 'other', other)
      mkdirSync(path.join(wt12(), 'src'), {recursive: true})
      const expected = [{pid, ref: 'acme/api#12', repo: 'acme/api', claim: 'src/auth', path: 'src/auth/login.ts', reason: 'ancestor'}]
      const elsewhere = path.join(sb.dir, 'elsewhere')
      mkdirSync(elsewhere)
      for (const [where, args, cwd] of [
        ['the checkout', ['src/auth/login.ts'], api],
        ["the worker's worktree", ['src/auth/login.ts'], wt12()],
        ['a subdirectory of the worktree', ['auth/login.ts'], path.join(wt12(), 'src')],
        ['another git worktree of the checkout', ['src/auth/login.ts'], other],
        ['an absolute path into the worktree', [path.join(wt12(), 'src', 'auth', 'login.ts')], elsewhere],
        ['an absolute path into the other worktree', [path.join(other, 'src', 'auth', 'login.ts')], elsewhere],
      ] as Array<[string, string[], string]>) {
        const res = await conflicts([...args, '--json'], cwd)
        expect(res.code, `${where}: ${res.stderr}`).to.equal(1)
        expect(res.json, where).to.deep.equal(expected)
      }
      // The human line names the repository.
      const human = await conflicts(['src/auth/login.ts'], wt12())
      expect(human.stdout).to.equal(`acme/api#12 (pid ${pid}) claims a parent of src/auth/login.ts in acme/api: src/auth\n`)
      // Siblings stay free, from the worktree too.
      expect((await conflicts(['src/authx', 'docs'], wt12())).code).to.equal(0)
    })

    it('from a directory in no repository, checks a relative path against every repository and says so', async () => {
      const elsewhere = path.join(sb.dir, 'elsewhere')
      mkdirSync(elsewhere)
      const hit = await conflicts(['src/auth/login.ts', '--json'], elsewhere)
      expect(hit.code).to.equal(1)
      expect(hit.json).to.deep.equal([{pid, ref: 'acme/api#12', repo: 'acme/api', claim: 'src/auth', path: 'src/auth/login.ts', reason: 'ancestor'}])
      expect(hit.stderr).to.match(/note: .*elsewhere is in no git repository, so src\/auth\/login\.ts was checked as relative to the root of every repository/)
      const free = await conflicts(['lib/x.ts'], elsewhere)
      expect(free.code).to.equal(0)
      expect(free.stderr).to.include('no conflicts with 1 active worker(s)')
      // An unrelated git repository has no claims: its src/auth is free.
      const unrelated = path.join(sb.dir, 'unrelated')
      mkdirSync(unrelated)
      git(unrelated, 'init', '-q')
      expect((await conflicts(['src/auth/login.ts'], unrelated)).code).to.equal(0)
    })

    it('claims in another repository with the same relative path do not conflict', async () => {
      const res = await conflicts(['src/auth/login.ts', '--json'], web)
      expect(res.code, res.stderr).to.equal(0)
      expect(res.json).to.deep.equal([])
      const sameRel = await dispatch(['headless', 'acme/web#5', '--claims', 'src/auth'], web)
      expect(sameRel.code, sameRel.stderr).to.equal(0)
      const webRecord = records(sb).find((r) => r.ref === 'acme/web#5')!
      expect(webRecord).to.include({repo: 'acme/web'})
      expect(webRecord.paths_claimed).to.deep.equal(['src/auth'])
      // Each checkout now sees exactly its own repository's claim.
      expect((await conflicts(['src/auth', '--json'], web)).json.map((c: {ref: string}) => c.ref)).to.deep.equal(['acme/web#5'])
      expect((await conflicts(['src/auth', '--json'], api)).json.map((c: {ref: string}) => c.ref)).to.deep.equal(['acme/api#12'])
    })

    it('refuses an overlapping claim at dispatch from inside the worker\'s worktree and from another worktree (exit 3)', async () => {
      const fromWorktree = await dispatch(['headless', 'acme/api#13', '--claims', 'src'], wt12())
      expect(fromWorktree.code, fromWorktree.stderr).to.equal(3)
      expect(fromWorktree.stderr).to.match(/Claim src in acme\/api overlaps src\/auth \(descendant\), claimed by pid \d+ working on acme\/api#12/)
      const other = path.join(sb.dir, 'api-other')
      git(api, 'worktree', 'add', '-q', '-b', 'other', other)
      const absolute = await dispatch(['headless', 'acme/api#13', '--claims', path.join(other, 'src', 'auth', 'login.ts')], os.tmpdir())
      expect(absolute.code, absolute.stderr).to.equal(3)
      expect(absolute.stderr).to.match(/Claim src\/auth\/login\.ts in acme\/api overlaps src\/auth \(ancestor\)/)
      expect(records(sb)).to.have.length(1)
      const disjoint = await dispatch(['headless', 'acme/api#13', '--claims', 'src/authx'], wt12())
      expect(disjoint.code, disjoint.stderr).to.equal(0)
    })
  })

  it('from outside the repository (cd /tmp), a relative claim is relative to the repository root', async () => {
    const dry = await dispatch(['headless', 'acme/api#12', '--claims', 'src', '--dry-run', '--json'], os.tmpdir())
    expect(dry.code, dry.stderr).to.equal(0)
    expect(JSON.parse(dry.stdout).claims).to.deep.equal(['src'])
    const res = await dispatch(['headless', 'acme/api#12', '--claims=src,docs/'], os.tmpdir())
    expect(res.code, res.stderr).to.equal(0)
    const [record] = records(sb)
    expect(record).to.include({repo: 'acme/api'})
    expect(record.paths_claimed).to.deep.equal(['src', 'docs'])
  })

  it('an absolute claim outside the repository is a usage error naming it (exit 2), and nothing starts', async () => {
    for (const [claim, cwd] of [
      [path.join(os.tmpdir(), 'not-the-repo'), api],
      [path.join(web, 'src'), api],
      ['../web/src', api],
    ]) {
      const res = await dispatch(['headless', 'acme/api#12', '--claims', `src,${claim}`], cwd)
      expect(res.code, res.stderr).to.equal(2)
      expect(res.stderr).to.include(`Claim ${claim} is outside acme/api`)
      expect(res.stderr).to.match(/relative to its root/)
    }
    const json = await dispatch(['headless', 'acme/api#12', '--claims', '/etc', '--json'], api)
    expect(json.code).to.equal(2)
    expect(JSON.parse(json.stdout).error.message).to.match(/Claim \/etc is outside acme\/api/)
    expect(records(sb)).to.deep.equal([])
    expect(existsSync(sb.worktreeRoot) ? readdirSync(sb.worktreeRoot) : []).to.deep.equal([])
  })

  it("stores a cascade child's claim, given inside the parent's worktree, relative to the repository", async () => {
    const parent = await dispatch(['cascade', 'acme/api#12', '--claims', 'src'], api)
    expect(parent.code, parent.stderr).to.equal(0)
    mkdirSync(path.join(wt12(), 'lib'), {recursive: true})
    // The child runs where the parent's agent works, with the parent's budget.
    const child = await dispatch(['headless', 'acme/api#13', '--claims', 'parser,../docs'], path.join(wt12(), 'lib'), {DISPATCH_CASCADE_DEPTH: '3'})
    expect(child.code, child.stderr).to.equal(0)
    const record = records(sb).find((r) => r.ref === 'acme/api#13')!
    expect(record).to.include({repo: 'acme/api'})
    expect(record.paths_claimed).to.deep.equal(['lib/parser', 'docs'])
  })

  it('old records with absolute claims still read and still conflict, mapped to their repository', async () => {
    const sleeper = spawn('sleep', ['60'], {stdio: 'ignore'})
    sleepers.push(sleeper)
    await waitFor('sleeper', () => processStartTime(sleeper.pid!))
    const dir = path.join(sb.stateDir, 'sidequests')
    mkdirSync(dir, {recursive: true, mode: 0o700})
    // Schema 1: absolute claims, no repo key; the worktree it names belongs to the api checkout.
    const oldWt = path.join(sb.worktreeRoot, 'acme', 'api', 'issue-9-old')
    git(api, 'worktree', 'add', '-q', '-b', 'dispatch/issue-9-old', oldWt)
    writeFileSync(
      path.join(dir, `${sleeper.pid}.json`),
      JSON.stringify({schema_version: 1, pid: sleeper.pid, pid_start_time: processStartTime(sleeper.pid!), mode: 'headless', ref: 'acme/api#9', started_at: new Date().toISOString(), cwd: oldWt, checkout: api, paths_claimed: [path.join(api, 'src'), path.join(sb.dir, 'loose', 'notes')]}),
      {mode: 0o600},
    )
    const list = JSON.parse((await runCli(['sidequests', 'list', '--json'], {env, cwd: api})).stdout)
    expect(list.map((r: {pid: number}) => r.pid)).to.deep.equal([sleeper.pid])
    // A claim in the checkout is a claim on the repository: it conflicts from the old worker's worktree.
    const fromWt = await conflicts(['src/x.ts', '--json'], oldWt)
    expect(fromWt.json).to.deep.equal([{pid: sleeper.pid, ref: 'acme/api#9', repo: 'acme/api', claim: 'src', path: 'src/x.ts', reason: 'ancestor'}])
    // ...but not from another repository.
    expect((await conflicts(['src/x.ts'], web)).code).to.equal(0)
    // A claim in no known repository compares as an absolute path, as before.
    const loose = await conflicts([path.join(sb.dir, 'loose', 'notes', 'a.md'), '--json'], os.tmpdir())
    expect(loose.json).to.deep.equal([{pid: sleeper.pid, ref: 'acme/api#9', repo: null, claim: path.join(sb.dir, 'loose', 'notes'), path: path.join(sb.dir, 'loose', 'notes', 'a.md'), reason: 'ancestor'}])
    // And a new dispatch from a worktree is refused against the old claim.
    const res = await dispatch(['headless', 'acme/api#12', '--claims', 'src/auth'], oldWt)
    expect(res.code, res.stderr).to.equal(3)
    expect(res.stderr).to.match(/Claim src\/auth in acme\/api overlaps src \(ancestor\), claimed by pid \d+ working on acme\/api#9/)
  })
})
