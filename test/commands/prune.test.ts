// `sidequests prune` also removes the print surface's prompt files (0600, one per
// session started by hand) once they are as old as the records it removes:
// the pasted line read each one, and nothing else ever will.
import {expect} from 'chai'
import {existsSync, mkdirSync, utimesSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {useSandbox} from '../support/forge-sandbox.js'
import {runCli} from '../support/helpers.js'

describe('sidequests prune: prompt files (through the binary)', function () {
  this.timeout(30_000)
  const t = useSandbox()

  it('removes prompt files older than --older-than, keeps newer ones; --dry-run only says so', async () => {
    const {sb} = t
    const dir = path.join(sb.stateDir, 'prompts')
    mkdirSync(dir, {recursive: true, mode: 0o700})
    const old = path.join(dir, 'dispatch-acme-api-1-0a1b2c3d.md')
    const fresh = path.join(dir, 'dispatch-acme-api-2-4e5f6a7b.md')
    for (const f of [old, fresh]) writeFileSync(f, 'prompt', {mode: 0o600})
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600_000)
    utimesSync(old, twoDaysAgo, twoDaysAgo)

    const dry = await runCli(['sidequests', 'prune', '--older-than', '1d', '--dry-run', '--json'], {env: sb.env})
    expect(dry.code, dry.stderr).to.equal(0)
    expect(JSON.parse(dry.stdout).prompt_files_removed).to.deep.equal([old])
    expect(existsSync(old)).to.equal(true)

    const res = await runCli(['sidequests', 'prune', '--older-than=1d'], {env: sb.env})
    expect(res.code, res.stderr).to.equal(0)
    expect(res.stdout).to.include(`removed ${old} (a prompt file for a session started by hand)`)
    expect(existsSync(old)).to.equal(false)
    expect(existsSync(fresh)).to.equal(true)
  })
})
