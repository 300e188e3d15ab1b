// A worker's push and its pull request meet on the fake forge: POST /pulls on a
// real git repository, read back through dispatch's own forge clients.
import {expect} from 'chai'
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {loopbackConfig, useFakeForge, useTempDir} from '../../support/forge-sandbox.js'
import {git} from '../../support/helpers.js'

interface Repo {
  bare: string
  work: string
}

/** A bare origin with main, and a clone to commit and push from. */
function repoWithOrigin(dir: string): Repo {
  const bare = path.join(dir, 'api.git')
  const work = path.join(dir, 'work')
  git(dir, 'init', '-q', '--bare', '-b', 'main', bare)
  mkdirSync(work)
  git(work, 'init', '-q', '-b', 'main')
  commit(work, 'README.md', '# api\n')
  git(work, 'remote', 'add', 'origin', bare)
  git(work, 'push', '-q', '-u', 'origin', 'main')
  return {bare, work}
}

function commit(work: string, file: string, text: string): string {
  writeFileSync(path.join(work, file), text)
  git(work, 'add', file)
  git(work, 'commit', '-q', '-m', `edit ${file}`)
  return git(work, 'rev-parse', 'HEAD')
}

/** Commit `file` on `branch` (made from main when new) and push it. */
function pushWork(r: Repo, branch: string, file: string, text: string): string {
  git(r.work, 'checkout', '-q', ...(git(r.work, 'branch', '--list', branch) ? [branch] : ['-b', branch, 'main']))
  const sha = commit(r.work, file, text)
  git(r.work, 'push', '-q', 'origin', branch)
  return sha
}

describe('fake forge: a worker opens a pull request from a real push', function () {
  this.timeout(60_000)
  const t = useFakeForge()
  const tmp = useTempDir('dispatch-open-pull-')
  let r: Repo

  beforeEach(() => {
    r = repoWithOrigin(tmp.dir)
  })

  const post = async (kind: 'github' | 'forgejo', owner: string, repo: string, body: unknown) => {
    const api = kind === 'github' ? t.forge.github.apiUrl : t.forge.forgejo.apiUrl
    const res = await fetch(`${api}/repos/${owner}/${repo}/pulls`, {method: 'POST', headers: {'content-type': 'application/json', authorization: 'token x'}, body: JSON.stringify(body)})
    return {status: res.status, headers: res.headers, data: (await res.json()) as Record<string, any>}
  }

  for (const kind of ['github', 'forgejo'] as const) {
    const clientOf = async () => {
      const forges = t.forges(loopbackConfig(t.forge, {forgejo: true}))
      return kind === 'github' ? forges.github() : forges.forgejo()!
    }

    it(`${kind}: the pull request takes the branch's commit, follows later pushes, and merges onto main`, async () => {
      t.forge.attachGit('acme', 'api', r.bare)
      t.forge.addIssue({forge: kind, owner: 'acme', repo: 'api', number: 7, labels: ['dispatch']})
      const first = pushWork(r, 'dispatch/issue-7-x', 'add.ts', 'export const add = 1\n')
      const made = await post(kind, 'acme', 'api', {title: 'Fix #7', head: 'dispatch/issue-7-x', base: 'main', body: 'Closes #7'})
      expect(made.status).to.equal(201)
      // Issues and pull requests share the numbering.
      expect(made.data.number).to.equal(8)
      expect(made.data.head).to.include({ref: 'dispatch/issue-7-x', sha: first})
      expect(made.data.base).to.include({ref: 'main', sha: git(r.work, 'rev-parse', 'main')})
      expect(made.data).to.include({state: 'open', title: 'Fix #7', body: 'Closes #7', merged: false})
      if (kind === 'github') expect(made.headers.get('location')).to.equal(`${t.forge.github.apiUrl}/repos/acme/api/pulls/8`)

      const forge = await clientOf()
      expect(await forge.findPullRequest('acme', 'api', 'dispatch/issue-7-x', {base: 'main'})).to.deep.equal({number: 8, url: made.data.html_url, state: 'open', headSha: first})
      expect((await forge.checkDetails('acme', 'api', first, {})).state).to.equal('none')

      // A second round's push moves the pull request; its checks are asked about at the new commit.
      const second = pushWork(r, 'dispatch/issue-7-x', 'add.ts', 'export const add = 2\n')
      expect((await forge.findPullRequest('acme', 'api', 'dispatch/issue-7-x', {base: 'main'}))?.headSha).to.equal(second)
      t.forge.addStatus({forge: kind, owner: 'acme', repo: 'api', sha: second, context: 'ci/unit', state: 'failure', description: '1 failed'})
      expect(await forge.checkDetails('acme', 'api', second, {})).to.deep.include({state: 'failure'})
      // The tracker comment may go on the pull request as on any issue.
      await forge.createIssueComment('acme', 'api', 8, 'tracking', {})

      expect(t.forge.pullsOf({forge: kind, owner: 'acme', repo: 'api'})).to.deep.equal([{number: 8, branch: 'dispatch/issue-7-x', base: 'main', headSha: second, state: 'open', title: 'Fix #7', body: 'Closes #7', url: made.data.html_url}])
      expect(t.forge.mergePull({forge: kind, owner: 'acme', repo: 'api', number: 8, land: true})).to.deep.equal({headSha: second, mergeSha: second})
      expect(git(r.bare, 'rev-parse', 'main')).to.equal(second)
      expect(await forge.findPullRequest('acme', 'api', 'dispatch/issue-7-x', {base: 'main'})).to.include({state: 'merged', headSha: second})
      // Merged, the pull request no longer follows its branch.
      pushWork(r, 'dispatch/issue-7-x', 'add.ts', 'export const add = 3\n')
      expect((await forge.findPullRequest('acme', 'api', 'dispatch/issue-7-x', {base: 'main'}))?.headSha).to.equal(second)
    })

    it(`${kind}: refused as the forge refuses: no such branch, nothing to merge, a second one for the same branch`, async () => {
      t.forge.attachGit('acme', 'api', r.bare)
      const missing = await post(kind, 'acme', 'api', {title: 't', head: 'nope', base: 'main'})
      const noBase = await post(kind, 'acme', 'api', {title: 't', head: 'main', base: 'nope'})
      git(r.work, 'branch', 'idle', 'main')
      git(r.work, 'push', '-q', 'origin', 'idle')
      const empty = await post(kind, 'acme', 'api', {title: 't', head: 'idle', base: 'main'})
      const untitled = await post(kind, 'acme', 'api', {head: 'idle', base: 'main'})
      pushWork(r, 'work', 'a.txt', 'a\n')
      expect((await post(kind, 'acme', 'api', {title: 't', head: 'acme:work', base: 'main'})).status).to.equal(201)
      const twice = await post(kind, 'acme', 'api', {title: 't', head: 'work', base: 'main'})
      if (kind === 'github') {
        expect([missing, noBase, empty, untitled, twice].map((x) => [x.status, x.data.errors[0]])).to.deep.equal([
          [422, {resource: 'PullRequest', field: 'head', code: 'invalid'}],
          [422, {resource: 'PullRequest', field: 'base', code: 'invalid'}],
          [422, {resource: 'PullRequest', code: 'custom', message: 'No commits between main and idle'}],
          [422, {resource: 'PullRequest', field: 'title', code: 'missing_field'}],
          [422, {resource: 'PullRequest', code: 'custom', message: 'A pull request already exists for acme:work.'}],
        ])
      } else {
        expect([missing, noBase, empty, untitled, twice].map((x) => x.status)).to.deep.equal([404, 404, 422, 422, 409])
        expect(twice.data.message).to.match(/^pull request already exists for these targets/)
      }
      expect(t.forge.pullsOf({forge: kind, owner: 'acme', repo: 'api'}).map((p) => p.number)).to.deep.equal([1])
    })
  }

  it('a repository nobody attached is unexpected: 404, and verify() names it', async () => {
    const res = await post('github', 'acme', 'other', {title: 't', head: 'x', base: 'main'})
    expect(res.status).to.equal(404)
    expect(() => t.forge.verify()).to.throw(/POST \/gh-api\/repos\/acme\/other\/pulls/)
  })

  it('merge with main moved on: a merge commit lands; close, closeIssue and setLabels show in what the clients read', async () => {
    t.forge.attachGit('acme', 'api', r.bare)
    t.forge.addIssue({owner: 'acme', repo: 'api', number: 3, labels: ['dispatch']})
    t.forge.addIssue({owner: 'acme', repo: 'api', number: 4, labels: ['dispatch']})
    const head = pushWork(r, 'one', 'one.txt', '1\n')
    pushWork(r, 'two', 'two.txt', '2\n')
    expect((await post('github', 'acme', 'api', {title: 'one', head: 'one', base: 'main'})).data.number).to.equal(5)
    expect((await post('github', 'acme', 'api', {title: 'two', head: 'two', base: 'main', draft: true})).data.draft).to.equal(true)
    git(r.work, 'checkout', '-q', 'main')
    const moved = commit(r.work, 'main.txt', 'm\n')
    git(r.work, 'push', '-q', 'origin', 'main')

    const {mergeSha} = t.forge.mergePull({owner: 'acme', repo: 'api', number: 5, land: true})
    expect(git(r.bare, 'rev-parse', 'main')).to.equal(mergeSha)
    expect(git(r.bare, 'rev-list', '--parents', '-n', '1', mergeSha).split(' ').slice(1)).to.deep.equal([moved, head])
    t.forge.closePull({owner: 'acme', repo: 'api', number: 6})
    expect(() => t.forge.closePull({owner: 'acme', repo: 'api', number: 6})).to.throw(/is closed, not open/)

    const gh = await t.forges(loopbackConfig(t.forge)).github()
    expect((await gh.findPullRequest('acme', 'api', 'two', {}))?.state).to.equal('closed')
    t.forge.closeIssue({owner: 'acme', repo: 'api', number: 3})
    t.forge.setLabels({owner: 'acme', repo: 'api', number: 4, labels: ['later']})
    expect(await gh.listOpenIssues('acme', 'api', 'dispatch', 10)).to.deep.equal([])
    expect((await gh.listOpenIssues('acme', 'api', 'later', 10)).map((i) => i.number)).to.deep.equal([4])
    expect((await gh.getIssue('acme', 'api', 5)).state).to.equal('closed')
  })
})
