import {expect} from 'chai'
import {readFileSync} from 'node:fs'
import path from 'node:path'

import {expectNothingCreated, useForgeSandbox, type FakeForge} from '../support/forge-sandbox.js'
import {ROOT, git, makeRepo, runCli, waitFor, writeConfig} from '../support/helpers.js'
import {auditLines, records} from '../support/state.js'

describe('what dispatch believes of a forge (through the binary)', function () {
  this.timeout(60_000)
  const t = useForgeSandbox({forgejo: true, env: {GH_TOKEN: 'ghp_SECRETTOKEN0123456789', FORGEJO_TOKEN: 'fj_SECRETTOKEN0123456789'}})
  let {forge, sb, env} = t

  beforeEach(() => {
    ;({forge, sb, env} = t)
    makeRepo(sb, 'acme', 'api')
  })

  describe('names the forge reports', () => {
    // A checkout exists for each name a confused forge might send, so only the name check stands between it and a worker.
    // Forgejo is asked first and does not have the GitHub cases' issue.
    const onGitHub = (f: FakeForge, extra: Record<string, unknown>) => {
      f.addMissing({forge: 'forgejo', owner: 'acme', repo: 'api', number: 1})
      f.addIssue({owner: 'acme', repo: 'api', number: 1, extra})
    }
    const cases: Array<[string, (f: FakeForge) => void]> = [
      ['repository_url ending in ..', (f) => onGitHub(f, {repository_url: `${f.github.apiUrl}/repos/acme/..`})],
      ['repository_url with %2e%2e', (f) => onGitHub(f, {repository_url: `${f.github.apiUrl}/repos/acme/%2e%2e`})],
      ['repository_url naming a/b', (f) => onGitHub(f, {repository_url: `${f.github.apiUrl}/repos/acme/a%2Fb`})],
      ['repository_url ending in .git', (f) => onGitHub(f, {repository_url: `${f.github.apiUrl}/repos/acme/api.git`})],
      ['a full_name with unicode look-alikes', (f) => f.addIssue({forge: 'forgejo', owner: 'acme', repo: 'api', number: 1, extra: {repository: {full_name: 'acme/\u0430pi'}}})],
      ['a 301 transfer to x.git', (f) => {
        f.addMissing({forge: 'forgejo', owner: 'acme', repo: 'api', number: 1})
        f.addIssue({owner: 'acme', repo: 'x.git', number: 2})
        f.transfer({from: {owner: 'acme', repo: 'api', number: 1}, to: {owner: 'acme', repo: 'x.git', number: 2}})
      }],
    ]
    for (const [what, setup] of cases) {
      it(`refuses ${what} with exit 3 and creates nothing`, async () => {
        // The layout would put a.git-like names next to the real checkout; make the tempting targets exist.
        makeRepo(sb, 'acme', 'x.git')
        setup(forge)
        const res = await runCli(['headless', 'acme/api#1'], {env, cwd: sb.dir})
        expect(res.code, res.stderr).to.equal(3)
        expect(res.stderr).to.match(/Error: (GitHub \()?127\.0\.0\.1:\d+\)? answered issue acme\/api#1 with .*refusing to use it/)
        expect(res.stderr).not.to.match(/\n\s+at .*\.js:\d+/)
        expectNothingCreated(sb)
        expect(auditLines(sb).map((a) => a.exit_code)).to.deep.equal([3])
      })
    }
  })

  describe('one forge per owner', () => {
    it('warns about a Forgejo 404 answered from GitHub, and marks the record and the audit line', async () => {
      forge.addMissing({forge: 'forgejo', owner: 'acme', repo: 'api', number: 12})
      forge.addIssue({owner: 'acme', repo: 'api', number: 12, title: 'On GitHub after all'})
      const res = await runCli(['headless', 'acme/api#12'], {env, cwd: sb.dir})
      expect(res.code, res.stderr).to.equal(0)
      expect(res.stderr).to.match(/warning: acme\/api#12 is not on Forgejo \(127\.0\.0\.1:\d+\); looking it up on GitHub/)
      const [record] = records(sb)
      expect(record).to.include({ref: 'acme/api#12', forge: 'github', forge_fallback: true})
      await waitFor('the worker to end', () => records(sb).find((r) => r.ended_at))
      expect(records(sb)[0].forge_fallback).to.equal(true)
      expect(auditLines(sb)[0]).to.include({ref: 'acme/api#12', exit_code: 0, forge_fallback: true})
    })

    it('asks only Forgejo for an owner allowed as forgejo:acme, and reports a 404 there (exit 4)', async () => {
      writeConfig(sb, {github: forge.github, forgejo: forge.forgejo}, {allowedOwners: ['forgejo:acme']})
      forge.addMissing({forge: 'forgejo', owner: 'acme', repo: 'api', number: 12})
      forge.addIssue({owner: 'acme', repo: 'api', number: 12})
      const res = await runCli(['headless', 'acme/api#12'], {env, cwd: sb.dir})
      expect(res.code, res.stderr).to.equal(4)
      expect(res.stderr).to.match(/not found on 127\.0\.0\.1:\d+ \(404\)[\s\S]*GitHub was not asked/)
      expect(forge.requests.map((r) => r.path)).to.deep.equal(['/fj/api/v1/repos/acme/api/issues/12'])
      expectNothingCreated(sb)
    })

    it('asks only GitHub for an owner allowed as github:acme, and refuses its Forgejo URL', async () => {
      writeConfig(sb, {github: forge.github, forgejo: forge.forgejo}, {allowedOwners: ['github:acme']})
      forge.addIssue({owner: 'acme', repo: 'api', number: 12})
      const dry = await runCli(['headless', '--dry-run', 'acme/api#12'], {env, cwd: sb.dir})
      expect(dry.code, dry.stderr).to.equal(0)
      expect(dry.stderr).not.to.include('warning')
      expect(forge.requests.map((r) => r.path)).to.deep.equal(['/gh-api/repos/acme/api/issues/12'])
      const url = await runCli(['headless', `${forge.forgejo.baseUrl}/acme/api/issues/12`, '--dry-run'], {env, cwd: sb.dir})
      expect(url.code, url.stderr).to.equal(3)
      expect(url.stderr).to.match(/Owner "acme" is allowed on GitHub only, but this issue is on Forgejo/)
      expect(forge.requests).to.have.length(1)
    })

    it('refuses a forgejo: owner in a config without Forgejo (exit 2)', async () => {
      writeConfig(sb, {github: forge.github}, {allowedOwners: ['acme', 'forgejo:team']})
      const res = await runCli(['headless', 'acme/api#12', '--dry-run'], {env, cwd: sb.dir})
      expect(res.code, res.stderr).to.equal(2)
      expect(res.stderr).to.match(/allowedOwners\.1: forgejo:team names Forgejo, but no forgejo section is configured/)
    })

    const crossed: Array<[string, 'github' | 'forgejo', (f: FakeForge) => string, RegExp]> = [
      ['a Forgejo issue in a checkout cloned from GitHub', 'forgejo', (f) => `${f.github.webUrl}/acme/api.git`, /which is on GitHub, but acme\/api is a Forgejo repository/],
      ['a GitHub issue in a checkout cloned from Forgejo', 'github', (f) => `${f.forgejo.baseUrl}/acme/api.git`, /which is on Forgejo, but acme\/api is a GitHub repository/],
    ]
    for (const [what, issueForge, origin, message] of crossed) {
      it(`refuses ${what} (exit 4), from the checkout and from elsewhere`, async () => {
        const checkout = path.join(sb.workspace, 'acme', 'api')
        git(checkout, 'remote', 'set-url', 'origin', origin(forge))
        forge.addIssue({forge: issueForge, owner: 'acme', repo: 'api', number: 12})
        const ref = issueForge === 'forgejo' ? `${forge.forgejo.baseUrl}/acme/api/issues/12` : `${forge.github.webUrl}/acme/api/issues/12`
        for (const cwd of [checkout, ROOT]) {
          const res = await runCli(['headless', ref], {env, cwd})
          expect(res.code, res.stderr).to.equal(4)
          expect(res.stderr).to.match(message)
          expect(res.stderr).to.match(/Clone the (GitHub|Forgejo) repository \(git clone /)
        }
        expectNothingCreated(sb)
      })
    }
  })

  describe('response size', () => {
    const preload = path.join(ROOT, 'test', 'support', 'max-rss.mjs')
    const cases: Array<[string, 'github' | 'forgejo', boolean]> = [
      ['a GitHub gzip bomb', 'github', true],
      ['a large plain GitHub body', 'github', false],
      ['a Forgejo gzip bomb', 'forgejo', true],
      ['a large plain Forgejo body', 'forgejo', false],
    ]
    for (const [what, onForge, gzip] of cases) {
      it(`fails on ${what} with exit 1 naming the host, and stays small`, async () => {
        // 512 MiB inflated (about 0.5 MB on the wire for the bomb): the old code read it all, using well over 1 GB.
        const line = onForge === 'github' ? 'GET /gh-api/repos/acme/api/issues/12' : 'GET /fj/api/v1/repos/acme/api/issues/12'
        forge.script(line, [{flood: {bytes: 512 * 1024 * 1024, gzip}}])
        const ref = onForge === 'github' ? `${forge.github.webUrl}/acme/api/issues/12` : `${forge.forgejo.baseUrl}/acme/api/issues/12`
        const rssFile = path.join(sb.dir, 'max-rss')
        const res = await runCli(['headless', ref, '--dry-run'], {env: {...env, NODE_OPTIONS: `--import=${preload}`, MAX_RSS_FILE: rssFile}, cwd: sb.dir, timeoutMs: 30_000})
        expect(res.code, res.stderr).to.equal(1)
        expect(res.stderr).to.match(/Error: 127\.0\.0\.1:\d+ sent a response larger than 4 MiB \(after decompression\); dispatch stopped reading it\./)
        const maxRssMb = Number(readFileSync(rssFile, 'utf8')) / 1024
        expect(maxRssMb, `peak RSS ${Math.round(maxRssMb)} MB`).to.be.below(250)
      })
    }
  })
})
