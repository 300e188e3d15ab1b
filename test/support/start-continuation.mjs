#!/usr/bin/env node
// Start one run through the library's launchHeadless, as dispatch watch does,
// from the built package (dist/): argv[2] is the DispatchOptions as JSON. With
// `"dryRun": true` it prints dryRun's plan instead. Prints one JSON object:
// {record, health} (or {plan}), or {error: {name, message, reason}}.
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const {createDeps, dispatchContext} = await import(path.join(root, 'dist', 'lib', 'context.js'))
const {dryRun, judgeHealth, launchHeadless} = await import(path.join(root, 'dist', 'lib', 'dispatch', 'index.js'))
const {dryRunResult} = await import(path.join(root, 'dist', 'cli', 'dispatching.js'))

const base = {mode: 'headless', dryRun: false, claims: [], worktree: true, force: false, extraArgs: []}
const opts = {...base, ...JSON.parse(process.argv[2])}
const ctx = dispatchContext(await createDeps({warn: (m) => process.stderr.write(`${m}\n`)}))
try {
  if (opts.dryRun) {
    process.stdout.write(JSON.stringify({plan: dryRunResult(await dryRun(ctx, opts))}) + '\n')
  } else {
    const run = await launchHeadless(ctx, opts)
    const judged = await judgeHealth(ctx, run.launched)
    process.stdout.write(JSON.stringify({launched: run.record, record: judged.record, health: judged.health}) + '\n')
  }
} catch (error) {
  process.stdout.write(JSON.stringify({error: {name: error.name, message: error.message, reason: error.reason ?? null}}) + '\n')
  process.exitCode = 1
}
