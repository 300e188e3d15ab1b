// A fan-out admits each issue against the workers active at that moment
// (issue #21): through one view that reads a record file once, not by reading
// the whole registry again per issue. Counted through the run's registry.
import {expect} from 'chai'
import {PassThrough} from 'node:stream'

import {createDeps, dispatchContext, type ProcessLike} from '../../../src/lib/context.js'
import {FanoutGuard, dispatchMany} from '../../../src/lib/fanout/index.js'
import {useGitEnv} from '../../../src/lib/git.js'
import {useForgeSandbox} from '../../support/forge-sandbox.js'

describe('fan-out admission reads the registry once, not per issue (library, real workers)', function () {
  this.timeout(120_000)
  const issues = [1, 2, 3, 4, 5, 6].map((number) => ({owner: 'acme', repo: 'api', number, title: `Task ${number}`}))
  const t = useForgeSandbox({repos: ['acme/api'], issues})
  after(() => useGitEnv(process.env))

  it('six issues: no full read of the active workers, and each new record read once', async () => {
    const out = Object.assign(new PassThrough(), {isTTY: false}) as unknown as NodeJS.WriteStream
    const proc: ProcessLike = {env: t.env, cwd: () => t.sb.dir, stdout: out, stderr: out, stdin: new PassThrough() as unknown as NodeJS.ReadStream}
    const deps = await createDeps({warn: () => {}}, proc)
    const registry = deps.registry()
    const counts = {active: 0, get: 0}
    const active = registry.active.bind(registry)
    const get = registry.get.bind(registry)
    registry.active = () => (counts.active++, active())
    registry.get = (key) => (counts.get++, get(key))
    const ctx = dispatchContext(deps)
    const opts = {mode: 'headless' as const, dryRun: false, claims: [], worktree: true, force: false, extraArgs: []}
    const {items} = await dispatchMany(ctx, opts, issues.map((i) => ({input: `acme/api#${i.number}`, ref: `acme/api#${i.number}`})), {guard: new FanoutGuard()})
    expect(items.map((i) => i.outcome)).to.deep.equal(['started', 'started', 'started', 'started', 'started', 'started'])
    expect(counts.active, 'full reads of the active workers').to.equal(0)
    // Issue k sees the k-1 workers started before it, each read once when it first appears.
    expect(counts.get, 'record files read').to.be.at.most(issues.length)
  })
})
