import {expect} from 'chai'
import {mkdirSync} from 'node:fs'
import path from 'node:path'

import {useForgeSandbox} from '../support/forge-sandbox.js'
import {git, makeRepo, runCli} from '../support/helpers.js'

/** `dispatch headless 12` as `gh issue view 12` takes it: inside a checkout, the number is that repository's issue. */
describe('bare issue numbers (through the binary)', function () {
  this.timeout(60_000)

  describe('with GitHub', () => {
    const t = useForgeSandbox({hold: true, repos: ['acme/api'], issues: [1, 2].map((n) => ({owner: 'acme', repo: 'api', number: n, title: `Task ${n}`}))})

    /** The checkout's origin as a GitHub user has it (after any real fetch: nothing here may fetch from the fake forge). */
    function pointOriginAtForge(checkout: string, form: 'https' | 'scp'): void {
      const web = new URL(t.forge.github.webUrl)
      const url = form === 'https' ? `${t.forge.github.webUrl}/acme/api.git` : `git@${web.hostname}:acme/api.git`
      git(checkout, 'remote', 'set-url', 'origin', url)
    }

    it('headless N, #N and several numbers resolve owner/repo from the checkout origin (dry run)', async () => {
      const checkout = t.checkouts['acme/api']
      pointOriginAtForge(checkout, 'https')
      for (const typed of ['1', '#1']) {
        const res = await runCli(['headless', typed, '--dry-run', '--json'], {env: t.env, cwd: checkout})
        expect(res.code, res.stderr).to.equal(0)
        expect(JSON.parse(res.stdout)).to.include({ref: 'acme/api#1', title: 'Task 1'})
      }
      const sub = path.join(checkout, 'src', 'deep')
      mkdirSync(sub, {recursive: true})
      const many = await runCli(['headless', '--dry-run', '2', '#1', '--json'], {env: t.env, cwd: sub})
      expect(many.code, many.stderr).to.equal(0)
      expect(JSON.parse(many.stdout).map((e: {input: string; ref: string}) => [e.input, e.ref])).to.deep.equal([['2', 'acme/api#2'], ['#1', 'acme/api#1']])
      pointOriginAtForge(checkout, 'scp')
      const scp = await runCli(['cascade', '1', '--dry-run', '--json'], {env: t.env, cwd: checkout})
      expect(scp.code, scp.stderr).to.equal(0)
      expect(JSON.parse(scp.stdout)).to.include({ref: 'acme/api#1'})
    })

    it('status N, stop #N and attach N work from the worker worktree itself', async () => {
      const checkout = t.checkouts['acme/api']
      const started = await runCli(['headless', 'acme/api#1', '--json'], {env: t.env})
      expect(started.code, started.stderr).to.equal(0)
      const worker = JSON.parse(started.stdout)
      pointOriginAtForge(checkout, 'https')
      const status = await runCli(['status', '1', '--json', '--no-outcome'], {env: t.env, cwd: worker.cwd})
      expect(status.code, status.stderr).to.equal(0)
      expect(JSON.parse(status.stdout)).to.include({pid: worker.pid, ref: 'acme/api#1'})
      const attach = await runCli(['attach', '1'], {env: t.env, cwd: worker.cwd})
      expect(attach.code, attach.stderr).to.equal(3)
      expect(attach.stderr).to.include(`The worker for acme/api#1 (pid ${worker.pid}) is still running`)
      const stop = await runCli(['stop', '#1', '--json', '--timeout', '20'], {env: t.env, cwd: worker.cwd})
      expect(stop.code, stop.stderr).to.equal(0)
      expect(JSON.parse(stop.stdout).map((s: {pid: number; ref: string}) => [s.pid, s.ref])).to.deep.equal([[worker.pid, 'acme/api#1']])
    })

    it('outside a checkout, or in one without a forge origin, a bare number is a usage error that says what to type', async () => {
      const outside = await runCli(['headless', '12'], {env: t.env, cwd: t.sb.dir})
      expect(outside.code).to.equal(2)
      expect(outside.stderr).to.include('"12" is a bare issue number, which names an issue only inside a checkout of its repository: this directory is not in a git checkout.')
      expect(outside.stderr).to.include('owner/repo#12')
      for (const cmd of [['status', '#12'], ['stop', '12'], ['attach', '12'], ['interactive', '12', '--surface', 'print'], ['headless', 'acme/api#1', '12']]) {
        const res = await runCli(cmd, {env: t.env, cwd: t.sb.dir})
        expect(res.code, `${cmd.join(' ')}: ${res.stderr}`).to.equal(2)
        expect(res.stderr, cmd.join(' ')).to.include('is a bare issue number')
      }
      const local = makeRepo(t.sb, 'acme', 'local', {origin: false})
      const none = await runCli(['status', '12'], {env: t.env, cwd: local})
      expect(none.code).to.equal(2)
      expect(none.stderr).to.include('this checkout has no origin remote')
      git(local, 'remote', 'add', 'origin', 'https://gitlab.example/acme/local.git')
      const elsewhere = await runCli(['headless', '#12', '--dry-run'], {env: t.env, cwd: local})
      expect(elsewhere.code).to.equal(2)
      expect(elsewhere.stderr).to.include("this checkout's origin https://gitlab.example/acme/local.git is not on a configured forge")
    })
  })

  describe('with Forgejo configured too', () => {
    const t = useForgeSandbox({forgejo: true, repos: ['acme/api'], issues: [{forge: 'forgejo', owner: 'acme', repo: 'api', number: 3, title: 'On Forgejo'}]})

    it('a checkout whose origin is on Forgejo names the Forgejo issue', async () => {
      const checkout = t.checkouts['acme/api']
      git(checkout, 'remote', 'set-url', 'origin', `${t.forge.forgejo.baseUrl}/acme/api.git`)
      const res = await runCli(['headless', '3', '--dry-run', '--json'], {env: t.env, cwd: checkout})
      expect(res.code, res.stderr).to.equal(0)
      expect(JSON.parse(res.stdout)).to.include({ref: 'acme/api#3', forge: 'forgejo', title: 'On Forgejo'})
    })
  })
})
