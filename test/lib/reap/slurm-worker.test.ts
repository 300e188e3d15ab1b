import {expect} from 'chai'
import {existsSync} from 'node:fs'

import {reap} from '../../../src/lib/reap/index.js'
import type {SidequestRecord} from '../../../src/lib/registry/index.js'
import {dispatchBranch} from '../../support/branches.js'
import {useSandbox} from '../../support/forge-sandbox.js'
import {makeRepo} from '../../support/helpers.js'

describe('reap and a Slurm worker (library, real git)', () => {
  const t = useSandbox()

  it('keeps the worktree of a queued Slurm job and names the job, not "pid 0"', async () => {
    const {sb} = t
    const checkout = makeRepo(sb, 'acme', 'api')
    const wt = dispatchBranch(sb, checkout, 'issue-3-queued', 0, false)
    const queued = {
      schema_version: 2, mode: 'headless', ref: 'acme/api#3', forge: 'github', url: '', title: 't', started_at: new Date().toISOString(),
      parent_session: null, paths_claimed: [], cwd: wt.dir, branch: wt.branch, log_path: null, cascade_depth: 0, claude_session_id: null,
      pid: 0, pid_start_time: null, runner: 'slurm', job_id: '4711', job_state: 'PENDING',
    } as SidequestRecord
    const entries = await reap({worktreeRoot: sb.worktreeRoot, registry: {active: async () => [queued]}, stateDir: sb.stateDir, dryRun: false, fetch: false, checkoutOf: () => checkout})
    expect(entries).to.have.length(1)
    expect(entries[0]).to.include({path: wt.dir, action: 'kept', reason: 'active Slurm job 4711 (acme/api#3)'})
    expect(existsSync(wt.dir)).to.equal(true)
  })
})
