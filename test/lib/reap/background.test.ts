import {expect} from 'chai'
import {mkdirSync, utimesSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {sweepDue} from '../../../src/lib/reap/background.js'
import {useSandbox} from '../../support/forge-sandbox.js'

describe('reap: when a dispatch starts a background sweep', () => {
  const t = useSandbox()
  const worktree = (name: string, ageMs: number) => {
    const dir = path.join(t.sb.worktreeRoot, 'acme', 'api', name)
    mkdirSync(dir, {recursive: true})
    writeFileSync(path.join(dir, '.git'), 'gitdir: /nowhere\n')
    const at = new Date(Date.now() - ageMs)
    utimesSync(path.join(dir, '.git'), at, at)
    return dir
  }
  const spec = () => ({worktreeRoot: t.sb.worktreeRoot, stateDir: t.sb.stateDir, owner: 'acme', repo: 'api', minAgeMs: 120_000})

  it('only when a worktree other than the one dispatched into is old enough to judge', () => {
    expect(sweepDue(spec(), undefined, Date.now()), 'no worktrees').to.equal(false)
    const mine = worktree('issue-1-mine', 600_000)
    expect(sweepDue(spec(), mine, Date.now()), 'only the dispatch\'s own').to.equal(false)
    worktree('issue-2-young', 1000)
    expect(sweepDue(spec(), mine, Date.now()), 'another, made moments ago').to.equal(false)
    worktree('issue-3-old', 600_000)
    expect(sweepDue(spec(), mine, Date.now()), 'another, old enough').to.equal(true)
  })
})
