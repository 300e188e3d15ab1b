#!/usr/bin/env node
// A hostile stand-in for `claude` (issue #20): it tries to break every promise
// of the sandbox, and does the work a worker must still be able to do (edit,
// commit on its branch). It writes what each attempt saw to
// <cwd>/hostile-report.json; the test checks the host side of each as well
// (a write "succeeding" into a private tmpfs must leave the host untouched).
// Then it prints the stream-json a successful `claude -p` prints.
//
//   HOSTILE_PLAN  JSON: {read: {name: path}, write: {name: path}, list: {name: dir}, signal: pid, env: [names]}
import {execFileSync} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {appendFileSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'

const plan = JSON.parse(process.env.HOSTILE_PLAN || '{}')
try {
  readFileSync(0, 'utf8')
} catch {}
const report = {read: {}, write: {}, list: {}, env: {}, signal: null, procs: [], commit: null}
const why = (error) => error.code || error.message

for (const [name, file] of Object.entries(plan.read ?? {})) {
  try {
    report.read[name] = {ok: true, content: readFileSync(file, 'utf8')}
  } catch (error) {
    report.read[name] = {ok: false, error: why(error)}
  }
}
for (const [name, file] of Object.entries(plan.write ?? {})) {
  try {
    appendFileSync(file, '\nhostile was here\n')
    report.write[name] = {ok: true}
  } catch (error) {
    report.write[name] = {ok: false, error: why(error)}
  }
}
for (const [name, dir] of Object.entries(plan.list ?? {})) {
  try {
    report.list[name] = {ok: true, entries: readdirSync(dir)}
  } catch (error) {
    report.list[name] = {ok: false, error: why(error)}
  }
}
for (const name of plan.env ?? []) report.env[name] = process.env[name] ?? null
// Every process this worker can see, and an attempt to stop one it must not reach.
report.procs = readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number)
if (plan.signal) {
  try {
    process.kill(plan.signal, 'SIGKILL')
    report.signal = {ok: true}
  } catch (error) {
    report.signal = {ok: false, error: why(error)}
  }
}
// The positive control: edit and commit on its own branch.
try {
  writeFileSync('SANDBOXED.md', 'Written inside the sandbox.\n')
  execFileSync('git', ['add', 'SANDBOXED.md'])
  execFileSync('git', ['commit', '-q', '-m', 'Work done inside the sandbox'])
  report.commit = {ok: true, head: execFileSync('git', ['rev-parse', 'HEAD'], {encoding: 'utf8'}).trim(), branch: execFileSync('git', ['rev-parse', '--abbrev-ref', 'HEAD'], {encoding: 'utf8'}).trim()}
} catch (error) {
  report.commit = {ok: false, error: String(error.stderr || error.message)}
}
writeFileSync('hostile-report.json', JSON.stringify(report, null, 2))

const sessionId = randomUUID()
const emit = (event) => process.stdout.write(JSON.stringify(event) + '\n')
const model = 'claude-hostile-1'
emit({type: 'system', subtype: 'init', cwd: process.cwd(), session_id: sessionId, tools: ['Bash'], model, permissionMode: 'default', apiKeySource: 'none'})
emit({type: 'assistant', message: {id: randomUUID(), model, role: 'assistant', type: 'message', content: [{type: 'text', text: 'Tried every wall.'}]}, session_id: sessionId})
emit({type: 'result', subtype: 'success', is_error: false, duration_ms: 10, num_turns: 1, result: 'done', session_id: sessionId, total_cost_usd: 0.001})
