// A loopback fake forge: one node:http server speaking the GitHub REST and
// Forgejo API v1 shapes for issues. Plain JavaScript so the demo can use it
// without a TypeScript loader.
//
//   GitHub API   <base>/gh-api/repos/{o}/{r}/issues/{n}     web <base>/gh
//   Forgejo API  <base>/fj/api/v1/repos/{o}/{r}/issues/{n}  web <base>/fj
//
// and the issue lists of a repository, GET .../repos/{o}/{r}/issues, as the
// forges serve them: newest first; state, labels and pages (GitHub per_page
// and page, its pull requests mixed in; Forgejo limit, page and type) with an
// RFC 8288 Link header naming the next and last pages (and X-Total-Count on
// Forgejo). GitHub's labels filter wants every label, Forgejo's any of them.
//
// Pull requests and checks, for outcome tracking (shapes as in
// @octokit/openapi-types and Forgejo's swagger):
//   GitHub   GET /repos/{o}/{r}/pulls?head=owner:branch&state=…   (a list, filtered)
//            GET /repos/{o}/{r}/commits/{sha}/check-runs          {total_count, check_runs}
//            GET /repos/{o}/{r}/commits/{sha}/status              combined status
//   Forgejo  GET /repos/{o}/{r}/pulls/{base}/{head…}              one pull request, or 404
//            GET /repos/{o}/{r}/commits/{sha}/status              combined status
// A repository the forge knows (an issue added, or servePulls) answers
// pull-request questions like a real one: none, unless addPull added some.
// Asking about any other repository is unexpected. A pull request's head
// commit reports no checks unless addCheckRun/addStatus add some; any other
// commit's checks must be set up (serveChecks) to be asked about.
//
// For dispatch watch (shapes as in @octokit/openapi-types and Forgejo's swagger):
//   GitHub   GET /repos/{o}/{r}/pulls/{n}/reviews, GET /repos/{o}/{r}/pulls/{n}/comments (since=)
//            POST /repos/{o}/{r}/issues/{n}/comments, PATCH /repos/{o}/{r}/issues/comments/{id}
//   Forgejo  GET /repos/{o}/{r}/pulls/{n}/reviews, GET /repos/{o}/{r}/pulls/{n}/reviews/{id}/comments
//            POST /repos/{o}/{r}/issues/{n}/comments, PATCH /repos/{o}/{r}/issues/comments/{id}
// (addReview, comments() reads the issue comments back), check runs with output
// and statuses with description and target_url. GitHub GETs carry an ETag and
// answer 304 to a matching If-None-Match, as api.github.com does; each request
// in `requests` has the status it got (requestsTo(path, method) counts them).
//
// A worker opening a pull request, against a real git repository the test
// attaches (attachGit(owner, repo, bareDir), where the worker pushes):
//   GitHub   POST /repos/{o}/{r}/pulls {title, head, base, body?, draft?}  201 pull-request, or 422 errors[]
//   Forgejo  POST /repos/{o}/{r}/pulls {title, head, base, body?}          201 PullRequest, or 404/409/422
// The head commit is the branch's (git rev-parse), and an open pull request made
// so follows its branch as later pushes move it; it takes the repository's next
// issue number and is an issue too. pullsOf() reads them; mergePull (land: onto
// the base branch too), closePull, closeIssue and setLabels play the maintainer.
//
// Scripts make it misbehave on purpose: forge.script('GET /gh-api/repos/o/r/issues/1',
// [{status: 500}, {status: 200}]) answers the next requests in order. A step
// {flood: {bytes, gzip}} answers 200 with `bytes` of JSON-ish filler, streamed
// (gzip: as a small gzip body that inflates to `bytes`, a "gzip bomb").
//
// Like gh's HTTP registry, it refuses what nobody set up: a request for an issue
// nobody added (nor declared missing with addMissing), or for a path it does not
// serve, is answered 404 and recorded, and forge.verify() (every test file's
// afterEach) then throws, naming it, as it does for scripted answers nobody asked for.
import {createHash} from 'node:crypto'
import http from 'node:http'
import zlib from 'node:zlib'

import {branchSha, branchShaSync, isAncestor, landSync} from './fake-forge-git.mjs'

const ISO = '2026-11-01T10:00:00Z'

function key(owner, repo, number) {
  return `${owner.toLowerCase()}/${repo.toLowerCase()}#${number}`
}

export async function startFakeForge() {
  const issues = {github: new Map(), forgejo: new Map()}
  const moved = {github: new Map(), forgejo: new Map()}
  const missing = {github: new Set(), forgejo: new Set()}
  const pulls = {github: new Map(), forgejo: new Map()}
  const checkRuns = new Map()
  const statuses = {github: new Map(), forgejo: new Map()}
  /** Repositories that exist with no issue added (their lists are empty). */
  const repos = {github: new Set(), forgejo: new Set()}
  const scripts = new Map()
  /** Reviews by `forge:owner/repo#pr`, each with its inline comments. */
  const reviews = new Map()
  /** Issue comments by `forge:owner/repo#n`; ids are forge-wide. */
  const comments = new Map()
  /** Bare git repositories attached to a repository (attachGit), by `owner/repo`: where opened pull requests get their commits. */
  const gits = new Map()
  let nextId = 100
  const requests = []
  /** Requests nobody set up an answer for. */
  const unexpected = []
  const sockets = new Set()
  let base = ''

  const ghApi = () => `${base}/gh-api`
  const fjApi = () => `${base}/fj/api/v1`

  function labelShape(forge, i, name, n) {
    const color = 'ededed'
    if (forge === 'github') return {id: 500 + n, node_id: `LA_${n}`, url: `${ghApi()}/repos/${i.owner}/${i.repo}/labels/${encodeURIComponent(name)}`, name, color, default: false, description: null}
    return {id: 500 + n, name, exclusive: false, is_archived: false, color, description: '', url: `${fjApi()}/repos/${i.owner}/${i.repo}/labels/${500 + n}`}
  }

  function githubShape(i) {
    const api = `${ghApi()}/repos/${i.owner}/${i.repo}`
    const shape = {
      url: `${api}/issues/${i.number}`,
      repository_url: api,
      labels_url: `${api}/issues/${i.number}/labels{/name}`,
      comments_url: `${api}/issues/${i.number}/comments`,
      events_url: `${api}/issues/${i.number}/events`,
      html_url: `${base}/gh/${i.owner}/${i.repo}/${i.pull ? 'pull' : 'issues'}/${i.number}`,
      id: 1000 + i.number,
      node_id: `I_kwDO${i.number}`,
      number: i.number,
      title: i.title,
      user: {login: 'reporter', id: 7, type: 'User'},
      labels: (i.labels ?? []).map((name, n) => labelShape('github', i, name, n)),
      state: i.state,
      locked: false,
      assignee: null,
      assignees: [],
      milestone: null,
      comments: 0,
      created_at: ISO,
      updated_at: ISO,
      closed_at: i.state === 'closed' ? ISO : null,
      author_association: 'OWNER',
      active_lock_reason: null,
      body: i.body,
      state_reason: i.state === 'closed' ? 'completed' : null,
    }
    if (i.pull) {
      shape.pull_request = {
        url: `${api}/pulls/${i.number}`,
        html_url: `${base}/gh/${i.owner}/${i.repo}/pull/${i.number}`,
        diff_url: `${base}/gh/${i.owner}/${i.repo}/pull/${i.number}.diff`,
        patch_url: `${base}/gh/${i.owner}/${i.repo}/pull/${i.number}.patch`,
        merged_at: i.mergedAt ?? null,
      }
    }
    if (i.omitState) delete shape.state
    return {...shape, ...(i.extra ?? {})}
  }

  function forgejoShape(i) {
    const shape = {
      id: 2000 + i.number,
      url: `${fjApi()}/repos/${i.owner}/${i.repo}/issues/${i.number}`,
      html_url: `${base}/fj/${i.owner}/${i.repo}/${i.pull ? 'pulls' : 'issues'}/${i.number}`,
      number: i.number,
      user: {id: 3, login: 'reporter', full_name: '', email: 'reporter@noreply.localhost'},
      original_author: '',
      original_author_id: 0,
      title: i.title,
      body: i.body,
      ref: '',
      assets: [],
      labels: (i.labels ?? []).map((name, n) => labelShape('forgejo', i, name, n)),
      milestone: null,
      assignee: null,
      assignees: null,
      state: i.state,
      is_locked: false,
      comments: 0,
      created_at: ISO,
      updated_at: ISO,
      closed_at: i.state === 'closed' ? ISO : null,
      due_date: null,
      pull_request: i.pull ? {merged: false, merged_at: null, draft: false, html_url: `${base}/fj/${i.owner}/${i.repo}/pulls/${i.number}`} : null,
      repository: {id: 42, name: i.repo, owner: i.owner, full_name: `${i.owner}/${i.repo}`},
      pin_order: 0,
    }
    if (i.omitState) delete shape.state
    return {...shape, ...(i.extra ?? {})}
  }

  const repoKey = (owner, repo) => `${owner.toLowerCase()}/${repo.toLowerCase()}`
  /** The forge has the repository: one of its issues was added. */
  const knows = (forge, owner, repo) => gits.has(repoKey(owner, repo)) || [...issues[forge].values()].some((i) => repoKey(i.owner, i.repo) === repoKey(owner, repo))
  const shaKey = (owner, repo, sha) => `${repoKey(owner, repo)}@${sha}`

  function githubBranch(p, ref, sha) {
    const api = `${ghApi()}/repos/${p.owner}/${p.repo}`
    return {
      label: `${p.owner}:${ref}`,
      ref,
      sha,
      user: {login: p.owner, id: 9, type: 'Organization'},
      repo: {id: 42, node_id: 'R_42', name: p.repo, full_name: `${p.owner}/${p.repo}`, private: false, html_url: `${base}/gh/${p.owner}/${p.repo}`, url: api},
    }
  }

  function githubPullShape(p) {
    const api = `${ghApi()}/repos/${p.owner}/${p.repo}`
    const merged = p.state === 'merged'
    return {
      url: `${api}/pulls/${p.number}`,
      id: 5000 + p.number,
      node_id: `PR_kwDO${p.number}`,
      html_url: `${base}/gh/${p.owner}/${p.repo}/pull/${p.number}`,
      diff_url: `${base}/gh/${p.owner}/${p.repo}/pull/${p.number}.diff`,
      patch_url: `${base}/gh/${p.owner}/${p.repo}/pull/${p.number}.patch`,
      issue_url: `${api}/issues/${p.number}`,
      commits_url: `${api}/pulls/${p.number}/commits`,
      review_comments_url: `${api}/pulls/${p.number}/comments`,
      review_comment_url: `${api}/pulls/comments{/number}`,
      comments_url: `${api}/issues/${p.number}/comments`,
      statuses_url: `${api}/statuses/${p.headSha}`,
      number: p.number,
      state: p.state === 'open' || p.state === 'draft' ? 'open' : 'closed',
      locked: false,
      title: p.title,
      user: {login: 'worker', id: 8, type: 'User'},
      body: p.body,
      labels: [],
      milestone: null,
      active_lock_reason: null,
      created_at: ISO,
      updated_at: ISO,
      closed_at: p.state === 'merged' || p.state === 'closed' ? ISO : null,
      merged_at: merged ? ISO : null,
      merge_commit_sha: merged ? p.mergeSha : null,
      assignee: null,
      assignees: [],
      requested_reviewers: [],
      requested_teams: [],
      head: githubBranch(p, p.branch, p.headSha),
      base: githubBranch(p, p.base, p.baseSha),
      _links: {html: {href: `${base}/gh/${p.owner}/${p.repo}/pull/${p.number}`}, self: {href: `${api}/pulls/${p.number}`}},
      author_association: 'MEMBER',
      auto_merge: null,
      draft: p.state === 'draft',
    }
  }

  /** A single pull request as GitHub answers it (POST, GET one): the list's shape plus the merge and size fields. */
  function githubFullPullShape(p) {
    const merged = p.state === 'merged'
    return {...githubPullShape(p), merged, mergeable: merged ? null : true, rebaseable: merged ? null : true, mergeable_state: merged ? 'unknown' : 'clean', merged_by: merged ? userShape('github', 'maintainer') : null, comments: 0, review_comments: 0, maintainer_can_modify: false, commits: 1, additions: 1, deletions: 0, changed_files: 1}
  }

  function forgejoPullShape(p) {
    const repo = {id: 42, name: p.repo, owner: {id: 9, login: p.owner}, full_name: `${p.owner}/${p.repo}`}
    const merged = p.state === 'merged'
    return {
      id: 6000 + p.number,
      url: `${base}/fj/${p.owner}/${p.repo}/pulls/${p.number}`,
      number: p.number,
      user: {id: 8, login: 'worker'},
      title: p.title,
      body: p.body,
      labels: [],
      milestone: null,
      assignee: null,
      assignees: null,
      requested_reviewers: null,
      state: p.state === 'open' || p.state === 'draft' ? 'open' : 'closed',
      draft: p.state === 'draft',
      is_locked: false,
      comments: 0,
      html_url: `${base}/fj/${p.owner}/${p.repo}/pulls/${p.number}`,
      diff_url: `${base}/fj/${p.owner}/${p.repo}/pulls/${p.number}.diff`,
      patch_url: `${base}/fj/${p.owner}/${p.repo}/pulls/${p.number}.patch`,
      mergeable: p.state === 'open' || p.state === 'draft',
      merged,
      merged_at: merged ? ISO : null,
      merge_commit_sha: merged ? p.mergeSha : null,
      merged_by: merged ? {id: 3, login: 'maintainer'} : null,
      allow_maintainer_edit: false,
      base: {label: p.base, ref: p.base, sha: p.baseSha, repo_id: 42, repo},
      head: {label: p.branch, ref: p.branch, sha: p.headSha, repo_id: 42, repo},
      merge_base: p.baseSha,
      due_date: null,
      created_at: ISO,
      updated_at: ISO,
      closed_at: p.state === 'merged' || p.state === 'closed' ? ISO : null,
      pin_order: 0,
    }
  }

  /** GitHub's combined state: failure when any failed or errored, success when all succeeded, else (and with none) pending. */
  function combined(list, field) {
    if (list.some((x) => x[field] === 'failure' || x[field] === 'error')) return 'failure'
    return list.length > 0 && list.every((x) => x[field] === 'success') ? 'success' : 'pending'
  }

  function send(res, status, body, headers = {}) {
    const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body)
    const req = res.req
    // GitHub: every GET answer has an ETag; the same answer asked for with it is a 304 without a body.
    if (req?.method === 'GET' && status === 200 && req.url.startsWith('/gh-api/')) {
      const etag = `W/"${createHash('sha1').update(text).digest('hex')}"`
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, {etag, ...headers})
        return res.end()
      }
      headers = {...headers, etag}
    }
    res.writeHead(status, {'content-type': 'application/json; charset=utf-8', ...headers})
    res.end(text)
  }

  const reviewKey = (forge, owner, repo, number) => `${forge}:${repoKey(owner, repo)}#${number}`
  const hasPull = (forge, owner, repo, number) => (pulls[forge].get(repoKey(owner, repo)) ?? []).some((p) => p.number === number)
  const userShape = (forge, login) => (forge === 'github' ? {login, id: 11, node_id: 'U_11', type: login.endsWith('[bot]') ? 'Bot' : 'User'} : {id: 11, login, full_name: '', email: `${login}@noreply.localhost`})

  function githubReviewShape(o, r) {
    const api = `${ghApi()}/repos/${o.owner}/${o.repo}`
    return {id: r.id, node_id: `PRR_${r.id}`, user: userShape('github', r.user), body: r.body, state: r.state, html_url: `${base}/gh/${o.owner}/${o.repo}/pull/${o.number}#pullrequestreview-${r.id}`, pull_request_url: `${api}/pulls/${o.number}`, author_association: 'MEMBER', _links: {html: {href: ''}, pull_request: {href: `${api}/pulls/${o.number}`}}, submitted_at: r.submittedAt, commit_id: 'a'.repeat(40)}
  }

  function githubReviewCommentShape(o, r, c) {
    const api = `${ghApi()}/repos/${o.owner}/${o.repo}`
    return {url: `${api}/pulls/comments/${c.id}`, pull_request_review_id: r.id, id: c.id, node_id: `PRRC_${c.id}`, diff_hunk: '@@ -1 +1 @@', path: c.path, position: c.line, original_position: c.line, commit_id: 'a'.repeat(40), original_commit_id: 'a'.repeat(40), user: userShape('github', r.user), body: c.body, created_at: c.createdAt, updated_at: c.createdAt, html_url: `${base}/gh/${o.owner}/${o.repo}/pull/${o.number}#discussion_r${c.id}`, pull_request_url: `${api}/pulls/${o.number}`, author_association: 'MEMBER', _links: {self: {href: ''}, html: {href: ''}, pull_request: {href: ''}}, line: c.line, original_line: c.line, side: 'RIGHT'}
  }

  function forgejoReviewShape(o, r) {
    const state = {CHANGES_REQUESTED: 'REQUEST_CHANGES', COMMENTED: 'COMMENT'}[r.state] ?? r.state
    return {id: r.id, user: userShape('forgejo', r.user), team: null, state, body: r.body, commit_id: 'a'.repeat(40), stale: false, official: true, dismissed: r.dismissed ?? false, comments_count: r.comments.length, submitted_at: r.submittedAt, updated_at: r.submittedAt, html_url: `${base}/fj/${o.owner}/${o.repo}/pulls/${o.number}#issuecomment-${r.id}`, pull_request_url: `${base}/fj/${o.owner}/${o.repo}/pulls/${o.number}`}
  }

  function forgejoReviewCommentShape(o, r, c) {
    return {id: c.id, body: c.body, user: userShape('forgejo', r.user), resolver: null, pull_request_review_id: r.id, created_at: c.createdAt, updated_at: c.createdAt, path: c.path, commit_id: 'a'.repeat(40), original_commit_id: 'a'.repeat(40), diff_hunk: '@@ -1 +1 @@', position: c.line, original_position: c.line, html_url: `${base}/fj/${o.owner}/${o.repo}/pulls/${o.number}#issuecomment-${c.id}`, pull_request_url: `${base}/fj/${o.owner}/${o.repo}/pulls/${o.number}`}
  }

  function commentShape(forge, o, c) {
    if (forge === 'github') {
      const api = `${ghApi()}/repos/${o.owner}/${o.repo}`
      return {id: c.id, node_id: `IC_${c.id}`, url: `${api}/issues/comments/${c.id}`, html_url: `${base}/gh/${o.owner}/${o.repo}/issues/${o.number}#issuecomment-${c.id}`, body: c.body, user: userShape('github', 'dispatch-bot'), created_at: c.createdAt, updated_at: c.updatedAt, issue_url: `${api}/issues/${o.number}`, author_association: 'OWNER'}
    }
    return {id: c.id, html_url: `${base}/fj/${o.owner}/${o.repo}/issues/${o.number}#issuecomment-${c.id}`, pull_request_url: '', issue_url: `${base}/fj/${o.owner}/${o.repo}/issues/${o.number}`, user: userShape('forgejo', 'dispatch-bot'), original_author: '', original_author_id: 0, body: c.body, assets: [], created_at: c.createdAt, updated_at: c.updatedAt}
  }

  /** Read a JSON request body (writes are small). */
  async function readJson(req) {
    let text = ''
    for await (const chunk of req) text += chunk
    try {
      return JSON.parse(text)
    } catch {
      return undefined
    }
  }

  /** The routes dispatch watch adds: reviews, review comments, issue comments. Returns false when `pathname` is none of them. */
  async function loopRoute(req, res, url, line) {
    let m
    if ((m = /^\/(gh-api|fj\/api\/v1)\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)\/(reviews|comments)(?:\/(\d+)\/comments)?$/.exec(url.pathname)) && req.method === 'GET') {
      const forge = m[1] === 'gh-api' ? 'github' : 'forgejo'
      const o = {owner: decodeURIComponent(m[2]), repo: decodeURIComponent(m[3]), number: Number(m[4])}
      if (!hasPull(forge, o.owner, o.repo, o.number) || (forge === 'github') === Boolean(m[6]) && m[5] === 'reviews' && m[6] !== undefined) {
        unexpected.push(line)
        return notFound(res, forge), true
      }
      const list = reviews.get(reviewKey(forge, o.owner, o.repo, o.number)) ?? []
      if (forge === 'github' && m[5] === 'reviews') return send(res, 200, list.map((r) => githubReviewShape(o, r))), true
      if (forge === 'github' && m[5] === 'comments') {
        const since = url.searchParams.get('since')
        const all = list.flatMap((r) => r.comments.map((c) => githubReviewCommentShape(o, r, c))).filter((c) => !since || Date.parse(c.updated_at) >= Date.parse(since))
        return send(res, 200, all), true
      }
      if (forge === 'forgejo' && m[5] === 'reviews' && m[6] === undefined) return send(res, 200, list.map((r) => forgejoReviewShape(o, r))), true
      if (forge === 'forgejo' && m[6] !== undefined) {
        const r = list.find((x) => x.id === Number(m[6]))
        if (!r) return notFound(res, forge), true
        return send(res, 200, r.comments.map((c) => forgejoReviewCommentShape(o, r, c))), true
      }
      unexpected.push(line)
      return notFound(res, forge), true
    }
    if ((m = /^\/(gh-api|fj\/api\/v1)\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(url.pathname)) && req.method === 'POST') {
      const forge = m[1] === 'gh-api' ? 'github' : 'forgejo'
      const o = {owner: decodeURIComponent(m[2]), repo: decodeURIComponent(m[3]), number: Number(m[4])}
      const body = await readJson(req)
      if (!issues[forge].has(key(o.owner, o.repo, o.number)) || typeof body?.body !== 'string') {
        unexpected.push(line)
        return send(res, 422, {message: 'Validation Failed'}), true
      }
      const now = new Date().toISOString()
      const c = {id: nextId++, body: body.body, createdAt: now, updatedAt: now, edits: 0, ...o, forge}
      const k = reviewKey(forge, o.owner, o.repo, o.number)
      if (!comments.has(k)) comments.set(k, [])
      comments.get(k).push(c)
      return send(res, 201, commentShape(forge, o, c)), true
    }
    if ((m = /^\/(gh-api|fj\/api\/v1)\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/.exec(url.pathname)) && req.method === 'PATCH') {
      const forge = m[1] === 'gh-api' ? 'github' : 'forgejo'
      const body = await readJson(req)
      const c = [...comments.values()].flat().find((x) => x.forge === forge && x.id === Number(m[4]) && repoKey(x.owner, x.repo) === repoKey(decodeURIComponent(m[2]), decodeURIComponent(m[3])))
      if (!c || typeof body?.body !== 'string') {
        unexpected.push(line)
        return notFound(res, forge), true
      }
      Object.assign(c, {body: body.body, updatedAt: new Date().toISOString(), edits: c.edits + 1})
      return send(res, 200, commentShape(forge, c, c)), true
    }
    return false
  }

  /** A pull request opened through the API follows its branch, as on a real forge: a push moves its head, whose checks may then be asked about. */
  function moveHead(forge, p, sha) {
    p.headSha = sha
    const c = shaKey(p.owner, p.repo, sha)
    if (forge === 'github' && !checkRuns.has(c)) checkRuns.set(c, [])
    if (!statuses[forge].has(c)) statuses[forge].set(c, [])
  }

  const isOpen = (p) => p.state === 'open' || p.state === 'draft'

  async function followHeads(forge, owner, repo) {
    const bare = gits.get(repoKey(owner, repo))
    if (!bare) return
    for (const p of pulls[forge].get(repoKey(owner, repo)) ?? []) {
      if (!p.live || !isOpen(p)) continue
      const sha = await branchSha(bare, p.branch)
      if (sha && sha !== p.headSha) moveHead(forge, p, sha)
    }
  }

  /** Issues and pull requests share one numbering per repository on both forges. */
  function nextNumber(forge, owner, repo) {
    const k = repoKey(owner, repo)
    const taken = [...issues[forge].values()].filter((i) => repoKey(i.owner, i.repo) === k).map((i) => i.number)
    for (const p of pulls[forge].get(k) ?? []) taken.push(p.number)
    return Math.max(0, ...taken) + 1
  }

  /**
   * POST /repos/{o}/{r}/pulls: open a pull request from a branch pushed to the
   * attached repository, refused as each forge refuses it (GitHub 422 with
   * errors[]; Forgejo 404 for a missing branch, 409 for a duplicate, 422 for no changes).
   */
  async function createPullRoute(req, res, url, line) {
    const m = /^\/(gh-api|fj\/api\/v1)\/repos\/([^/]+)\/([^/]+)\/pulls$/.exec(url.pathname)
    if (!m || req.method !== 'POST') return false
    const forge = m[1] === 'gh-api' ? 'github' : 'forgejo'
    const gh = forge === 'github'
    const [owner, repo] = [m[2], m[3]].map(decodeURIComponent)
    const bare = gits.get(repoKey(owner, repo))
    const body = await readJson(req)
    if (!bare) {
      unexpected.push(line)
      return notFound(res, forge), true
    }
    const docs = {documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request', status: '422'}
    const invalid = (field, code = 'invalid') => send(res, 422, {message: 'Validation Failed', errors: [{resource: 'PullRequest', field, code}], ...docs})
    const custom = (message) => send(res, 422, {message: 'Validation Failed', errors: [{resource: 'PullRequest', code: 'custom', message}], ...docs})
    const refuse = (status, message) => send(res, status, {message, url: `${base}/fj/api/swagger`})
    for (const field of ['title', 'head', 'base']) {
      if (typeof body?.[field] !== 'string' || body[field] === '') return (gh ? invalid(field, 'missing_field') : refuse(422, `[${field[0].toUpperCase()}${field.slice(1)}]: Required`)), true
    }
    // head is a branch, or owner:branch; only same-repository pull requests are served.
    const colon = body.head.indexOf(':')
    const headOwner = colon >= 0 ? body.head.slice(0, colon) : owner
    const branch = colon >= 0 ? body.head.slice(colon + 1) : body.head
    const headSha = headOwner.toLowerCase() === owner.toLowerCase() ? await branchSha(bare, branch) : null
    if (!headSha) return (gh ? invalid('head') : notFound(res, forge)), true
    const baseSha = await branchSha(bare, body.base)
    if (!baseSha) return (gh ? invalid('base') : notFound(res, forge)), true
    const k = repoKey(owner, repo)
    const twin = (pulls[forge].get(k) ?? []).find((p) => isOpen(p) && p.branch === branch && p.base === body.base)
    if (twin) {
      if (gh) return custom(`A pull request already exists for ${owner}:${branch}.`), true
      return refuse(409, `pull request already exists for these targets [id: ${6000 + twin.number}, issue_id: ${2000 + twin.number}, head_repo_id: 42, base_repo_id: 42, head_branch: ${branch}, base_branch: ${body.base}]`), true
    }
    if (await isAncestor(bare, headSha, baseSha)) return (gh ? custom(`No commits between ${body.base} and ${branch}`) : refuse(422, 'There are no changes between the head and the base')), true
    const number = nextNumber(forge, owner, repo)
    const text = typeof body.body === 'string' ? body.body : ''
    const p = {owner, repo, number, branch, headSha, state: gh && body.draft === true ? 'draft' : 'open', base: body.base, baseSha, mergeSha: 'f'.repeat(40), title: body.title, body: text, live: true}
    if (!pulls[forge].has(k)) pulls[forge].set(k, [])
    pulls[forge].get(k).push(p)
    moveHead(forge, p, headSha)
    // A pull request is an issue too: its number answers the issue routes (comments on it, the listing).
    issues[forge].set(key(owner, repo, number), {owner, repo, number, title: body.title, body: text, state: 'open', pull: true, labels: []})
    if (gh) return send(res, 201, githubFullPullShape(p), {location: `${ghApi()}/repos/${owner}/${repo}/pulls/${number}`}), true
    return send(res, 201, forgejoPullShape(p)), true
  }

  function changeIssue(forge, owner, repo, number, changes) {
    const i = issues[forge].get(key(owner, repo, number))
    if (!i) throw new Error(`fake forge: no issue ${owner}/${repo}#${number} to update`)
    Object.assign(i, changes)
  }

  function pullOf(forge, owner, repo, number) {
    const p = (pulls[forge].get(repoKey(owner, repo)) ?? []).find((x) => x.number === number)
    if (!p) throw new Error(`fake forge: no pull request ${owner}/${repo}#${number} on ${forge}`)
    return p
  }

  /** The pull request's head as the test sees it now: an opened one follows its branch. */
  function currentHead(forge, p) {
    const bare = gits.get(repoKey(p.owner, p.repo))
    if (!p.live || !bare || !isOpen(p)) return
    const sha = branchShaSync(bare, p.branch)
    if (sha && sha !== p.headSha) moveHead(forge, p, sha)
  }

  /** A merged or closed pull request closes the issue it is (when it was opened through the API). */
  function settlePull(forge, p, state) {
    currentHead(forge, p)
    p.state = state
    const i = issues[forge].get(key(p.owner, p.repo, p.number))
    if (i?.pull) Object.assign(i, {state: 'closed', mergedAt: state === 'merged' ? new Date().toISOString() : null})
  }

  const MiB = 1024 * 1024
  // One gzip member of 1 MiB of spaces; a gzip body may be many members back to back.
  const member = zlib.gzipSync(Buffer.alloc(MiB, ' '), {level: 9})

  /** Stream a huge body with backpressure, stopping as soon as the client goes away. */
  function flood(res, {bytes, gzip = false}) {
    res.writeHead(200, {'content-type': 'application/json; charset=utf-8', ...(gzip ? {'content-encoding': 'gzip'} : {})})
    const first = Buffer.from('{"title": "')
    const chunk = Buffer.alloc(MiB, ' ')
    let sent = 0
    let closed = false
    res.on('close', () => (closed = true))
    res.on('error', () => (closed = true))
    const pump = () => {
      while (!closed && sent < bytes) {
        sent += MiB
        const ok = res.write(gzip ? member : sent === MiB ? Buffer.concat([first, chunk.subarray(first.length)]) : chunk)
        if (!ok) return void res.once('drain', pump)
      }
      if (!closed) res.end(gzip ? zlib.gzipSync('"}') : '"}')
    }
    pump()
  }

  function notFound(res, forge) {
    send(res, 404, forge === 'github' ? {message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404'} : {message: 'The target couldn\'t be found.', url: `${base}/fj/api/swagger`, errors: []})
  }

  /** GET /repos/{o}/{r}/issues: the repository's issues, filtered and paged as the forge does it. */
  function list(res, line, url, forge, owner, repo) {
    const repoKey = `${owner.toLowerCase()}/${repo.toLowerCase()}`
    const inRepo = (i) => `${i.owner.toLowerCase()}/${i.repo.toLowerCase()}` === repoKey
    // A transferred issue still listed where it was: the transfer happened after the list was read.
    const stale = [...moved[forge].entries()]
      .filter(([, t]) => t.listedWith)
      .map(([k, t]) => {
        const [o, rest] = k.split('/')
        const [r, n] = rest.split('#')
        return {...issues[forge].get(key(t.owner, t.repo, t.number)), owner: o, repo: r, number: Number(n), labels: t.listedWith, state: 'open'}
      })
    const all = [...issues[forge].values(), ...stale].filter(inRepo)
    if (all.length === 0 && !repos[forge].has(repoKey)) {
      if (!missing[forge].has(repoKey)) unexpected.push(line)
      return notFound(res, forge)
    }
    const q = url.searchParams
    const state = q.get('state') ?? 'open'
    const wanted = (q.get('labels') ?? '').split(',').map((l) => l.trim().toLowerCase()).filter(Boolean)
    const type = q.get('type')
    const listedState = (i) => i.listState ?? i.state
    const matches = all
      .filter((i) => state === 'all' || listedState(i) === state)
      .filter((i) => {
        if (wanted.length === 0) return true
        const has = (i.labels ?? []).map((l) => l.toLowerCase())
        return forge === 'github' ? wanted.every((w) => has.includes(w)) : wanted.some((w) => has.includes(w))
      })
      .filter((i) => forge === 'github' || !type || (type === 'issues' ? !i.pull : i.pull))
      .sort((a, b) => b.number - a.number)
    const size = Math.min(Number(q.get(forge === 'github' ? 'per_page' : 'limit') ?? (forge === 'github' ? 30 : 50)), forge === 'github' ? 100 : 50)
    const page = Math.max(1, Number(q.get('page') ?? 1))
    const last = Math.max(1, Math.ceil(matches.length / size))
    const shown = matches.slice((page - 1) * size, page * size).map((i) => {
      const shape = forge === 'github' ? githubShape({...i, state: listedState(i)}) : forgejoShape({...i, state: listedState(i)})
      return shape
    })
    const at = (p) => {
      const u = new URL(url)
      u.searchParams.set('page', String(p))
      return `<${u.href}>`
    }
    const links = []
    if (page < last) links.push(`${at(page + 1)}; rel="next"`, `${at(last)}; rel="last"`)
    if (page > 1) links.push(`${at(1)}; rel="first"`, `${at(page - 1)}; rel="prev"`)
    const headers = {...(links.length > 0 ? {link: links.join(', ')} : {}), ...(forge === 'forgejo' ? {'x-total-count': String(matches.length)} : {'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '4999'})}
    return send(res, 200, shown, headers)
  }

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, base)
    const line = `${req.method} ${url.pathname}`
    const entry = {method: req.method, path: url.pathname, headers: req.headers, status: 0}
    requests.push(entry)
    res.on('finish', () => (entry.status = res.statusCode))
    const queue = scripts.get(line)
    if (queue && queue.length > 0) {
      const step = queue.shift()
      if (step.delayMs) await new Promise((r) => setTimeout(r, step.delayMs))
      if (step.destroy) return req.socket.destroy()
      if (step.flood) return flood(res, step.flood)
      if (step.status !== 200 || step.body !== undefined || step.headers) {
        if (step.status !== 200) return send(res, step.status, step.body ?? {message: `scripted ${step.status}`}, step.headers)
        return send(res, 200, step.body, step.headers)
      }
      // status 200 without a body: fall through to the normal answer.
    }
    if (await createPullRoute(req, res, url, line)) return
    if (await loopRoute(req, res, url, line)) return
    let m
    if ((m = /^\/(gh-api|fj\/api\/v1)\/repos\/([^/]+)\/([^/]+)\/issues$/.exec(url.pathname))) {
      return list(res, line, url, m[1] === 'gh-api' ? 'github' : 'forgejo', decodeURIComponent(m[2]), decodeURIComponent(m[3]))
    }
    if ((m = /^\/gh-api\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)$/.exec(url.pathname))) {
      const k = key(decodeURIComponent(m[1]), decodeURIComponent(m[2]), Number(m[3]))
      if (moved.github.has(k)) {
        const t = moved.github.get(k)
        const to = `${ghApi()}/repos/${encodeURIComponent(t.owner)}/${encodeURIComponent(t.repo)}/issues/${t.number}`
        return send(res, 301, {message: 'Moved Permanently', url: to}, {location: to})
      }
      const issue = issues.github.get(k)
      if (!issue && !missing.github.has(k)) unexpected.push(line)
      return issue ? send(res, 200, githubShape(issue), {'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '4999'}) : notFound(res, 'github')
    }
    if ((m = /^\/fj\/api\/v1\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)$/.exec(url.pathname))) {
      const k = key(decodeURIComponent(m[1]), decodeURIComponent(m[2]), Number(m[3]))
      if (moved.forgejo.has(k)) {
        const t = moved.forgejo.get(k)
        return send(res, 301, '', {location: `${fjApi()}/repos/${encodeURIComponent(t.owner)}/${encodeURIComponent(t.repo)}/issues/${t.number}`})
      }
      const issue = issues.forgejo.get(k)
      if (!issue && !missing.forgejo.has(k)) unexpected.push(line)
      return issue ? send(res, 200, forgejoShape(issue)) : notFound(res, 'forgejo')
    }
    if ((m = /^\/gh-api\/repos\/([^/]+)\/([^/]+)\/pulls$/.exec(url.pathname))) {
      const [owner, repo] = [decodeURIComponent(m[1]), decodeURIComponent(m[2])]
      await followHeads('github', owner, repo)
      const list = pulls.github.get(repoKey(owner, repo)) ?? (knows('github', owner, repo) ? [] : undefined)
      if (!list) {
        unexpected.push(line)
        return notFound(res, 'github')
      }
      const head = url.searchParams.get('head')
      // GitHub lists open pull requests unless asked for closed or all.
      const state = url.searchParams.get('state') ?? 'open'
      const found = list
        // head=<user or org>:<branch>: the owner as GitHub compares owners (any case), the branch exactly.
        .filter((p) => !head || (head.includes(':') && head.slice(0, head.indexOf(':')).toLowerCase() === owner.toLowerCase() && head.slice(head.indexOf(':') + 1) === p.branch))
        .filter((p) => state === 'all' || (state === 'open') === (p.state === 'open' || p.state === 'draft'))
        .sort((a, b) => b.number - a.number)
      return send(res, 200, found.map((p) => githubPullShape(p)))
    }
    if ((m = /^\/gh-api\/repos\/([^/]+)\/([^/]+)\/commits\/([^/]+)\/(check-runs|status)$/.exec(url.pathname))) {
      const [owner, repo, sha] = [decodeURIComponent(m[1]), decodeURIComponent(m[2]), decodeURIComponent(m[3])]
      const k = shaKey(owner, repo, sha)
      if (!checkRuns.has(k) && !statuses.github.has(k)) {
        unexpected.push(line)
        return notFound(res, 'github')
      }
      const api = `${ghApi()}/repos/${owner}/${repo}`
      if (m[4] === 'check-runs') {
        const runs = (checkRuns.get(k) ?? []).map((r, i) => ({
          id: 7000 + i,
          head_sha: sha,
          node_id: `CR_${i}`,
          external_id: '',
          url: `${api}/check-runs/${7000 + i}`,
          html_url: `${base}/gh/${owner}/${repo}/runs/${7000 + i}`,
          details_url: r.detailsUrl ?? null,
          status: r.status,
          conclusion: r.status === 'completed' ? r.conclusion : null,
          started_at: ISO,
          completed_at: r.status === 'completed' ? ISO : null,
          output: {title: r.output?.title ?? null, summary: r.output?.summary ?? null, text: r.output?.text ?? null, annotations_count: 0, annotations_url: `${api}/check-runs/${7000 + i}/annotations`},
          name: r.name,
          check_suite: {id: 8000},
          app: null,
          pull_requests: [],
        }))
        return send(res, 200, {total_count: runs.length, check_runs: runs})
      }
      const list = (statuses.github.get(k) ?? []).map((st, i) => ({
        url: `${api}/statuses/${sha}`,
        avatar_url: null,
        id: 9000 + i,
        node_id: `SC_${i}`,
        state: st.state,
        description: st.description ?? null,
        target_url: st.targetUrl ?? null,
        context: st.context,
        created_at: ISO,
        updated_at: ISO,
      }))
      return send(res, 200, {state: combined(list, 'state'), statuses: list, sha, total_count: list.length, repository: {id: 42, name: repo, full_name: `${owner}/${repo}`}, commit_url: `${api}/commits/${sha}`, url: `${api}/commits/${sha}/status`})
    }
    if ((m = /^\/fj\/api\/v1\/repos\/([^/]+)\/([^/]+)\/pulls\/([^/]+)\/(.+)$/.exec(url.pathname))) {
      const [owner, repo, baseBranch, head] = [m[1], m[2], m[3], m[4]].map(decodeURIComponent)
      await followHeads('forgejo', owner, repo)
      const list = pulls.forgejo.get(repoKey(owner, repo)) ?? (knows('forgejo', owner, repo) ? [] : undefined)
      if (!list) {
        unexpected.push(line)
        return notFound(res, 'forgejo')
      }
      const found = list.filter((p) => p.base === baseBranch && p.branch === head).sort((a, b) => b.number - a.number)[0]
      return found ? send(res, 200, forgejoPullShape(found)) : notFound(res, 'forgejo')
    }
    if ((m = /^\/fj\/api\/v1\/repos\/([^/]+)\/([^/]+)\/commits\/([^/]+)\/status$/.exec(url.pathname))) {
      const [owner, repo, sha] = [m[1], m[2], m[3]].map(decodeURIComponent)
      const k = shaKey(owner, repo, sha)
      if (!statuses.forgejo.has(k)) {
        unexpected.push(line)
        return notFound(res, 'forgejo')
      }
      const api = `${fjApi()}/repos/${owner}/${repo}`
      const list = statuses.forgejo.get(k).map((st, i) => ({
        id: 9500 + i,
        status: st.state,
        target_url: st.targetUrl ?? '',
        description: st.description ?? '',
        url: `${api}/statuses/${sha}`,
        context: st.context,
        creator: {id: 3, login: 'ci'},
        created_at: ISO,
        updated_at: ISO,
      }))
      return send(res, 200, {state: list.length === 0 ? '' : combined(list, 'status'), sha, total_count: list.length, statuses: list, repository: {id: 42, name: repo, full_name: `${owner}/${repo}`}, commit_url: `${api}/commits/${sha}`, url: `${api}/commits/${sha}/status`})
    }
    if (url.pathname === '/gh-api/rate_limit') {
      return send(res, 200, {resources: {core: {limit: 5000, remaining: 4999, reset: 1_900_000_000, used: 1}}, rate: {limit: 5000, remaining: 4999, reset: 1_900_000_000, used: 1}})
    }
    if (url.pathname === '/fj/api/v1/version') return send(res, 200, {version: '13.0.2+gitea-1.22.0'})
    unexpected.push(line)
    notFound(res, url.pathname.startsWith('/fj') ? 'forgejo' : 'github')
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${server.address().port}`

  return {
    get base() {
      return base
    },
    github: {apiUrl: `${base}/gh-api`, webUrl: `${base}/gh`},
    forgejo: {baseUrl: `${base}/fj`, apiUrl: `${base}/fj/api/v1`},
    requests,
    /**
     * Add or replace an issue. `labels`: label names; `listState`: the state
     * issue lists show (an issue closed after the list was read: listState 'open', state 'closed').
     */
    addIssue({forge = 'github', owner, repo, number, title = `Issue ${number}`, body = '', state = 'open', pull = false, omitState = false, extra, labels = [], listState}) {
      issues[forge].set(key(owner, repo, number), {owner, repo, number, title, body, state, pull, omitState, extra, labels, listState})
    },
    /** A repository that exists with no issues: its lists answer []. */
    addRepo({forge = 'github', owner, repo}) {
      repos[forge].add(`${owner.toLowerCase()}/${repo.toLowerCase()}`)
    },
    /** Declare an issue (or, without a number, a repository) that does not exist: asking for it is expected, and answered 404. */
    addMissing({forge = 'github', owner, repo, number}) {
      missing[forge].add(number === undefined ? `${owner.toLowerCase()}/${repo.toLowerCase()}` : key(owner, repo, number))
    },
    /**
     * Make the old location answer 301 to the new one (GitHub's transferred-issue behaviour).
     * `listedWith` (label names): the old repository's lists still show it, open, as before the transfer.
     */
    transfer({forge = 'github', from, to, listedWith}) {
      moved[forge].set(key(from.owner, from.repo, from.number), {...to, listedWith})
    },
    /**
     * Add a pull request from `branch` (state open, draft, merged or closed) and
     * set up the repository's pull requests. headSha is the commit of its head
     * (for a merged one: when it was merged).
     */
    addPull({forge = 'github', owner, repo, number, branch, headSha, state = 'open', base = 'main', baseSha = '0'.repeat(40), mergeSha = 'f'.repeat(40), title = `Pull request ${number}`, body = ''}) {
      const k = repoKey(owner, repo)
      if (!pulls[forge].has(k)) pulls[forge].set(k, [])
      pulls[forge].get(k).push({owner, repo, number, branch, headSha, state, base, baseSha, mergeSha, title, body})
      // Its head reports no checks until some are added.
      const c = shaKey(owner, repo, headSha)
      if (forge === 'github' && !checkRuns.has(c)) checkRuns.set(c, [])
      if (!statuses[forge].has(c)) statuses[forge].set(c, [])
    },
    /** Change an added pull request, e.g. {state: 'merged'} once it is merged. */
    updatePull({forge = 'github', owner, repo, number, ...changes}) {
      const p = (pulls[forge].get(repoKey(owner, repo)) ?? []).find((x) => x.number === number)
      if (!p) throw new Error(`fake forge: no pull request ${owner}/${repo}#${number} to update`)
      Object.assign(p, changes)
    },
    /** Expect questions about a repository's pull requests, with none (yet): GitHub lists none, Forgejo answers 404. */
    servePulls({forge = 'github', owner, repo}) {
      const k = repoKey(owner, repo)
      if (!pulls[forge].has(k)) pulls[forge].set(k, [])
    },
    /** A GitHub check run on a commit; status queued, in_progress or completed (with a conclusion). */
    addCheckRun({owner, repo, sha, name = 'ci', status = 'completed', conclusion = 'success', output, detailsUrl}) {
      const k = shaKey(owner, repo, sha)
      if (!checkRuns.has(k)) checkRuns.set(k, [])
      checkRuns.get(k).push({name, status, conclusion, output, detailsUrl})
    },
    /** A commit status (GitHub: success, failure, error, pending; Forgejo adds warning); newest first, as the forges list them. */
    addStatus({forge = 'github', owner, repo, sha, context = 'ci/legacy', state, description, targetUrl}) {
      const k = shaKey(owner, repo, sha)
      if (!statuses[forge].has(k)) statuses[forge].set(k, [])
      statuses[forge].get(k).unshift({context, state, description, targetUrl})
    },
    /**
     * A review of pull request `number` (state APPROVED, CHANGES_REQUESTED, COMMENTED; Forgejo shows
     * REQUEST_CHANGES and COMMENT), with inline `comments` [{path, line, body}], submitted at `submittedAt`.
     */
    addReview({forge = 'github', owner, repo, number, user = 'reviewer', state = 'COMMENTED', body = '', submittedAt = new Date().toISOString(), comments: inline = [], dismissed = false}) {
      if (!hasPull(forge, owner, repo, number)) throw new Error(`fake forge: no pull request ${owner}/${repo}#${number} to review`)
      const k = reviewKey(forge, owner, repo, number)
      if (!reviews.has(k)) reviews.set(k, [])
      reviews.get(k).push({id: nextId++, user, state, body, submittedAt, dismissed, comments: inline.map((c) => ({id: nextId++, path: c.path, line: c.line ?? null, body: c.body, createdAt: c.createdAt ?? submittedAt}))})
    },
    /** The comments made on an issue through the API, oldest first: {id, body, edits}. */
    comments({forge = 'github', owner, repo, number}) {
      return (comments.get(reviewKey(forge, owner, repo, number)) ?? []).map((c) => ({id: c.id, body: c.body, edits: c.edits}))
    },
    /**
     * Attach a bare git repository to `owner/repo` (both forges): POST /pulls
     * opens pull requests from its branches (head sha by git rev-parse), an open
     * one follows its branch as pushes move it, and questions about the
     * repository's pull requests are expected.
     */
    attachGit(owner, repo, bareDir) {
      gits.set(repoKey(owner, repo), bareDir)
    },
    /** The repository's pull requests, in the order made: {number, branch, base, headSha, state, title, body, url}. */
    pullsOf({forge = 'github', owner, repo}) {
      return (pulls[forge].get(repoKey(owner, repo)) ?? []).map((p) => {
        currentHead(forge, p)
        const url = forge === 'github' ? `${base}/gh/${p.owner}/${p.repo}/pull/${p.number}` : `${base}/fj/${p.owner}/${p.repo}/pulls/${p.number}`
        return {number: p.number, branch: p.branch, base: p.base, headSha: p.headSha, state: p.state, title: p.title, body: p.body, url}
      })
    },
    /**
     * Merge an open pull request (its head taken from the branch now, when it
     * was opened through the API). `land`: also put it on the base branch of the
     * attached repository (fast-forward, else a merge commit), as the merge
     * button does; without it the branch's commits stay off the base, as after
     * a squash merge. Returns the head and merge commits.
     */
    mergePull({forge = 'github', owner, repo, number, land = false}) {
      const p = pullOf(forge, owner, repo, number)
      if (!isOpen(p)) throw new Error(`fake forge: pull request ${owner}/${repo}#${number} is ${p.state}, not open`)
      currentHead(forge, p)
      if (land) {
        const bare = gits.get(repoKey(owner, repo))
        if (!bare) throw new Error(`fake forge: land needs a repository attached to ${owner}/${repo} (attachGit)`)
        p.mergeSha = landSync(bare, p.base, p.headSha, `Merge pull request #${number} from ${p.branch}`)
      }
      settlePull(forge, p, 'merged')
      return {headSha: p.headSha, mergeSha: p.mergeSha}
    },
    /** Close an open pull request without merging it. */
    closePull({forge = 'github', owner, repo, number}) {
      const p = pullOf(forge, owner, repo, number)
      if (!isOpen(p)) throw new Error(`fake forge: pull request ${owner}/${repo}#${number} is ${p.state}, not open`)
      settlePull(forge, p, 'closed')
    },
    /** Close an issue (listings and lookups show it closed from now on). */
    closeIssue({forge = 'github', owner, repo, number}) {
      changeIssue(forge, owner, repo, number, {state: 'closed', listState: undefined})
    },
    /** Replace an issue's labels (names). */
    setLabels({forge = 'github', owner, repo, number, labels}) {
      changeIssue(forge, owner, repo, number, {labels: [...labels]})
    },
    /** Change an issue: close it, relabel it. */
    updateIssue({forge = 'github', owner, repo, number, ...changes}) {
      changeIssue(forge, owner, repo, number, changes)
    },
    /** Expect questions about a commit's checks, with none reported. */
    serveChecks({forge = 'github', owner, repo, sha}) {
      const k = shaKey(owner, repo, sha)
      if (forge === 'github' && !checkRuns.has(k)) checkRuns.set(k, [])
      if (!statuses[forge].has(k)) statuses[forge].set(k, [])
    },
    /** Queue scripted answers for `METHOD /path`, used in order before the normal answer. */
    script(line, steps) {
      scripts.set(line, [...steps])
    },
    /**
     * Throw, naming them, when a scripted answer went unused or a request came
     * that nobody set up (an issue neither added nor declared missing, a path
     * the forge does not serve). Call it in afterEach; it forgets what it reported.
     */
    verify() {
      const unused = [...scripts.entries()].filter(([, steps]) => steps.length > 0).map(([line, steps]) => `${line} (${steps.length} scripted answer(s) unused)`)
      const unasked = unexpected.splice(0)
      scripts.clear()
      if (unused.length === 0 && unasked.length === 0) return
      throw new Error(
        `fake forge: ${[...unused.map((u) => `never asked: ${u}`), ...unasked.map((u) => `nobody set up an answer for: ${u} (addIssue, addMissing or script it)`)].join('; ')}`,
      )
    },
    /** The requests for `path` (of `method` only, when given), in order. */
    requestsTo(path, method) {
      return requests.filter((r) => r.path === path && (!method || r.method === method))
    },
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise((resolve) => server.close(() => resolve()))
    },
  }
}
