import {expect} from 'chai'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {useForgeSandbox} from '../support/forge-sandbox.js'
import {runCli} from '../support/helpers.js'

/**
 * What `headless --dry-run` costs at start-up (bench/run.mjs times it; these
 * tests hold the shape that makes it fast, never a timing): which modules it
 * loads, and that its git questions are all asked at once.
 */
describe('headless --dry-run start-up (through the binary)', function () {
  this.timeout(60_000)
  const t = useForgeSandbox({repos: ['acme/api'], issues: [{owner: 'acme', repo: 'api', number: 12, title: 'Fix the login bug'}]})

  it('loads neither oclif, nor the start-a-worker side, nor the fan-out, nor semver', async () => {
    const {sb, env} = t
    // Preloads that write down every module the process loaded: ES modules through a loader hook, CommonJS from require.cache.
    const dir = path.join(sb.dir, 'trace')
    mkdirSync(dir)
    const loaded = path.join(dir, 'loaded.txt')
    writeFileSync(path.join(dir, 'hooks.mjs'), `import {appendFileSync} from 'node:fs'\nexport async function load(url, context, next) {\n  appendFileSync(${JSON.stringify(loaded)}, url + '\\n')\n  return next(url, context)\n}\n`)
    writeFileSync(path.join(dir, 'register.mjs'), `import {register} from 'node:module'\nregister(${JSON.stringify('./hooks.mjs')}, import.meta.url)\n`)
    writeFileSync(path.join(dir, 'cjs.cjs'), `process.on('exit', () => require('node:fs').appendFileSync(${JSON.stringify(loaded)}, Object.keys(require.cache).join('\\n') + '\\n'))\n`)
    const nodeOptions = `--import=${path.join(dir, 'register.mjs')} --require=${path.join(dir, 'cjs.cjs')}`
    const res = await runCli(['headless', 'acme/api#12', '--dry-run'], {env: {...env, NODE_OPTIONS: nodeOptions}})
    expect(res.code, res.stderr).to.equal(0)
    expect(res.stdout).to.match(/Issue: +acme\/api#12 \(github, open\)/)
    const modules = readFileSync(loaded, 'utf8').split('\n')
    // The trace works: it saw the start-up fast path (src/fast-dispatch.ts), the command code and the dispatch core.
    for (const seen of ['/dist/fast-dispatch.js', '/dist/cli/fanout.js', '/dist/lib/dispatch/gather.js']) expect(modules.some((m) => m.includes(seen)), seen).to.equal(true)
    for (const unseen of ['/node_modules/@oclif/core/', '/dist/commands/headless.js', '/dist/lib/dispatch/execute.js', '/dist/lib/interactive/surfaces.js', '/dist/lib/runners/local.js', '/dist/lib/worker/spawn.js', '/dist/lib/fanout/index.js', '/node_modules/semver/', '/node_modules/@octokit/plugin-rest-endpoint-methods/']) {
      expect(modules.filter((m) => m.includes(unseen)), unseen).to.deep.equal([])
    }
  })
})
