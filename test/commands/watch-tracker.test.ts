// dispatch watch (issue #22), watch.comment through the real binary: the
// tracker comment is made when an issue's first run starts and edited only when
// what it says changed, by one loop or by separate `watch --once` runs.
import {expect} from 'chai'
import {writeFileSync} from 'node:fs'
import path from 'node:path'

import {useForgeSandbox, type FakeForge} from '../support/forge-sandbox.js'
import {waitFor, writeConfig, type Sandbox} from '../support/helpers.js'
import {records} from '../support/state.js'
import {of, pass} from '../support/watch.js'

describe('dispatch watch: the tracker comment (through the binary)', function () {
  this.timeout(300_000)
  const t = useForgeSandbox({repos: ['acme/api'], exitWaitMs: 15_000})
  let forge: FakeForge
  let sb: Sandbox
  let env: NodeJS.ProcessEnv

  beforeEach(() => ({forge, sb, env} = t))

  for (const kind of ['github', 'forgejo'] as const) {
    it(`${kind}: made when the first run starts, edited when the state changes, and not by --once runs that find nothing new`, async () => {
      const watch = {sources: [{repo: 'acme/api', label: 'go'}], comment: true, maxAttempts: 1}
      if (kind === 'forgejo') writeConfig(sb, {github: forge.github, forgejo: forge.forgejo}, {allowedOwners: ['forgejo:acme'], watch})
      else writeConfig(sb, {github: forge.github}, {watch})
      forge.addIssue({forge: kind, owner: 'acme', repo: 'api', number: 1, title: 'Fix the parser', labels: ['go']})
      const fail = path.join(sb.dir, 'fail')
      const file = path.join(sb.dir, 'script.json')
      writeFileSync(file, JSON.stringify([{STANDIN_MODE: 'error-result', STANDIN_HOLD_FILE: fail}]))
      env = {...env, STANDIN_SCRIPT: file}
      const api = kind === 'github' ? '/gh-api' : '/fj/api/v1'
      const writes = () => forge.requests.filter((r) => r.method !== 'GET' && r.path.includes('/comments')).map((r) => `${r.method} ${r.path.slice(api.length)}`)
      const comments = () => forge.comments({forge: kind, owner: 'acme', repo: 'api', number: 1})

      const first = await pass(env)
      expect(of(first, 'started', 'acme/api#1')).to.have.length(1)
      expect(comments()).to.have.length(1)
      const [made] = comments()
      expect(made.body).to.match(/^<!-- dispatch-watch -->\n\*\*dispatch watch\*\*: a worker is on it/)
      expect(records(sb)[0].tracker_comment_id).to.equal(made.id)
      expect(writes()).to.deep.equal(['POST /repos/acme/api/issues/1/comments'])
      // Running on: a new --once run finds nothing new to say.
      await pass(env)
      expect(writes()).to.have.length(1)

      writeFileSync(fail, '')
      await waitFor('the run to end', () => records(sb)[0].ended_at)
      const gaveUp = await pass(env)
      expect(of(gaveUp, 'given-up', 'acme/api#1')).to.have.length(1)
      expect(writes()).to.deep.equal(['POST /repos/acme/api/issues/1/comments', `PATCH /repos/acme/api/issues/comments/${made.id}`])
      expect(comments()).to.have.length(1)
      expect(comments()[0].body).to.match(/\*\*dispatch watch\*\*: given up: the worker crashed/)
      // Given up, still labelled: later --once runs leave the comment alone.
      for (let i = 0; i < 2; i++) await pass(env)
      expect(writes()).to.have.length(2)
      expect(comments()[0].edits).to.equal(1)
    })
  }
})
