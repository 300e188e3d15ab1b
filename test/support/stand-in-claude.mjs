#!/usr/bin/env node
// A stand-in for the `claude` CLI. It records how it was started (argv, cwd,
// selected env, and what it read on stdin) and behaves as the environment tells
// it, printing the same stream-json events the real CLI prints with
// `-p --output-format stream-json --verbose`. Like the real CLI, it takes the
// prompt from stdin when stdin is not a terminal (in both modes).
//
//   STANDIN_RECORD_DIR  write <pid>.json with {argv, cwd, env, stdin} there
//   STANDIN_MODE        ok (default) | crash | synthetic400 | retry401 | retry | silent | error-result
//   STANDIN_CRASH_ON    crash at start (as STANDIN_MODE=crash) when the prompt contains this text,
//                       so one worker of a fan-out can fail while the others start
//   STANDIN_RETRY_STATUS  retry: the HTTP status of each api_retry, or "none" for an
//                       unreachable API (status null, as Claude Code 2.1.328 reports a refused connection)
//   STANDIN_RETRIES     retry: how many api_retry events before going on as ok (default: forever)
//   STANDIN_IGNORE      comma-separated signals to ignore (SIGINT,SIGTERM); otherwise, like
//                       Claude Code 2.1.328 in -p mode, SIGINT writes an error result and exits 0,
//                       SIGTERM exits 143
//   STANDIN_HOLD_FILE   after replying, stay alive until this file exists
//   STANDIN_EXIT        exit code at the end (default 0)
//   STANDIN_CHILD       1: start a long-running "tool" process (argv has stand-in-tool) in its process group
//   STANDIN_COMMIT      1: write a file and commit it on the current branch
//   STANDIN_REPLY_DELAY_MS  wait this long before the first model reply
//   STANDIN_CHECK_FILES comma-separated paths (relative to cwd): record each one's content (null when absent) at start
//   STANDIN_PERMISSION_MODES  --help: the --permission-mode choices to list (default: 2.1.328's)
//   STANDIN_REFUSE      1: claude refuses the worker's tool calls (Bash, then Write), as Claude Code 2.1.328
//                       reports it when auto mode is unavailable: tool_result_meta "reject" at once, and
//                       permission_denials in the result
//   STANDIN_TIMES_FILE  append "<pid> reply <epoch ms>" when the first reply goes out (npm run bench)
//   STANDIN_SCRIPT      a JSON file: an array of env overrides, one per run, taken in order (run k takes element k,
//                       the last one once they run out; `<file>.run-<k>` records that run k happened), so a test
//                       scripts a worker across dispatch watch's runs: crash, then ok with a commit, …
//   STANDIN_MODE rate-limit   api_retry events for HTTP 429, then an error result "API Error: 429 …", exit 1
//   STANDIN_MODE usage-limit  Claude Code's usage-limit reply "Claude AI usage limit reached|<STANDIN_RESET_AT>"
//                       (epoch seconds; default an hour from now) and an error result, exit 1; STANDIN_USAGE_TEXT
//                       replaces the text (the newer wording: "5-hour limit reached ∙ resets 3pm")
//   STANDIN_MODE api-error    an overloaded API (529) error result, exit 1
import {execFileSync, spawn} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs'
import path from 'node:path'

const env = process.env
const argv = process.argv.slice(2)

if (env.STANDIN_SCRIPT && argv[0] !== '--help' && argv[0] !== '--version') {
  const runs = JSON.parse(readFileSync(env.STANDIN_SCRIPT, 'utf8'))
  let k = 0
  // Each run claims the next number with an exclusive create: concurrent runs never take the same one.
  for (;; k++) {
    try {
      writeFileSync(`${env.STANDIN_SCRIPT}.run-${k}`, String(process.pid), {flag: 'wx'})
      break
    } catch (error) {
      if (error.code !== 'EEXIST') throw error
    }
  }
  Object.assign(env, runs[Math.min(k, runs.length - 1)] ?? {})
}
const resumed = process.argv.indexOf('--resume')
// A resumed run goes on in the session it was given, as Claude Code's --resume does.
const sessionId = resumed >= 0 ? process.argv[resumed + 1] : randomUUID()
let mode = env.STANDIN_MODE || 'ok'
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const emit = (event) => process.stdout.write(JSON.stringify(event) + '\n')

if (argv[0] === '--help') {
  // As Claude Code 2.1.328 words it; STANDIN_PERMISSION_MODES (comma-separated) stands for another version's choices.
  const modes = (env.STANDIN_PERMISSION_MODES || 'acceptEdits,auto,bypassPermissions,manual,dontAsk,plan').split(',')
  process.stdout.write(`Usage: claude [options] [command] [prompt]\n\nOptions:\n  --permission-mode <mode>              Permission mode to use for the session\n                                        (choices: ${modes.map((m) => `"${m}"`).join(', ')})\n  -p, --print                           Print response and exit\n`)
  process.exit(0)
}
if (argv[0] === '--version') {
  process.stdout.write('2.1.0 (Claude Code stand-in)\n')
  process.exit(0)
}

// The prompt, when it comes on stdin (null when stdin is a terminal).
let stdin = null
if (!process.stdin.isTTY) {
  try {
    stdin = readFileSync(0, 'utf8')
  } catch {
    stdin = ''
  }
}

if (env.STANDIN_CRASH_ON && stdin?.includes(env.STANDIN_CRASH_ON)) mode = 'crash'

function checkedFiles() {
  const names = (env.STANDIN_CHECK_FILES || '').split(',').filter(Boolean)
  return Object.fromEntries(names.map((n) => [n, existsSync(n) ? readFileSync(n, 'utf8') : null]))
}

if (env.STANDIN_RECORD_DIR) {
  mkdirSync(env.STANDIN_RECORD_DIR, {recursive: true})
  const keep = Object.fromEntries(
    Object.entries(env).filter(([k]) => /^(DISPATCH_|CLAUDE|GH_|GITHUB_|FORGEJO_|HOME$|PATH$|TMUX)/.test(k)),
  )
  // Written beside the directory and renamed in, so a test polling the directory never reads half a record.
  const tmp = path.join(path.dirname(env.STANDIN_RECORD_DIR), `.stand-in-${process.pid}.tmp`)
  writeFileSync(tmp, JSON.stringify({argv, cwd: process.cwd(), env: keep, pid: process.pid, stdin, checked: checkedFiles()}, null, 2))
  renameSync(tmp, path.join(env.STANDIN_RECORD_DIR, `${process.pid}.json`))
}

async function holdUntilReleased() {
  if (!env.STANDIN_HOLD_FILE) return
  while (!existsSync(env.STANDIN_HOLD_FILE)) await sleep(25)
}

const headless = argv.includes('-p') || argv.includes('--print')
const resumeAt = argv.indexOf('--resume')

if (!headless) {
  // Interactive: show what we were asked to do, then wait.
  const prompt = stdin || (argv.includes('--') ? argv[argv.indexOf('--') + 1] : undefined)
  process.stdout.write(resumeAt >= 0 ? `stand-in resumed session ${argv[resumeAt + 1]}\n` : `stand-in interactive session\n${prompt ?? ''}\n`)
  await holdUntilReleased()
  process.exit(Number(env.STANDIN_EXIT || 0))
}

const ignored = new Set((env.STANDIN_IGNORE || '').split(',').map((s) => s.trim()).filter(Boolean))
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (ignored.has(signal)) {
      emit({type: 'system', subtype: 'stand_in_ignored_signal', signal})
      return
    }
    if (signal === 'SIGINT') {
      emit({type: 'result', subtype: 'error_during_execution', is_error: true, duration_ms: 10, num_turns: 1, session_id: sessionId, total_cost_usd: 0})
      process.exit(0)
    }
    process.exit(143)
  })
}

/** Claude Code 2.1.328's category for a failed request (its p6t function). */
function retryCategory(status) {
  if (status === 529) return 'overloaded'
  if (status === 429) return 'rate_limit'
  if (status === 401 || status === 403) return 'authentication_failed'
  if (status !== null && status >= 408) return 'server_error'
  return 'unknown'
}

const model = 'claude-stand-in-1'
emit({type: 'system', subtype: 'init', cwd: process.cwd(), session_id: sessionId, tools: ['Bash', 'Read', 'Edit'], model, permissionMode: 'default', apiKeySource: 'none'})

if (mode === 'crash') {
  process.stderr.write('stand-in: simulated crash at start\n')
  process.exit(Number(env.STANDIN_EXIT || 1))
}
if (mode === 'synthetic400') {
  emit({type: 'assistant', message: {id: randomUUID(), model: '<synthetic>', role: 'assistant', type: 'message', content: [{type: 'text', text: 'API Error: 400 {"type":"error","error":{"type":"invalid_request_error","message":"bad request"}}'}]}, session_id: sessionId})
  emit({type: 'result', subtype: 'success', is_error: true, duration_ms: 12, num_turns: 1, result: 'API Error: 400 bad request', session_id: sessionId, total_cost_usd: 0})
  process.exit(1)
}
if (mode === 'retry401' || mode === 'retry') {
  // The shape Claude Code 2.1.328 prints (checked against the real binary).
  const raw = mode === 'retry401' ? '401' : env.STANDIN_RETRY_STATUS || 'none'
  const status = raw === 'none' ? null : Number(raw)
  const limit = env.STANDIN_RETRIES ? Number(env.STANDIN_RETRIES) : Infinity
  for (let attempt = 1; attempt <= limit; attempt++) {
    emit({type: 'system', subtype: 'api_retry', attempt, max_retries: 10, retry_delay_ms: 100 * attempt, error_status: status, error: retryCategory(status), session_id: sessionId, uuid: randomUUID()})
    await sleep(100)
  }
}
if (mode === 'rate-limit' || mode === 'usage-limit' || mode === 'api-error') {
  if (mode === 'rate-limit') {
    for (let attempt = 1; attempt <= 2; attempt++) emit({type: 'system', subtype: 'api_retry', attempt, max_retries: 2, retry_delay_ms: 100, error_status: 429, error: 'rate_limit', session_id: sessionId, uuid: randomUUID()})
  }
  const reset = env.STANDIN_RESET_AT || String(Math.floor(Date.now() / 1000) + 3600)
  const text = mode === 'usage-limit' ? env.STANDIN_USAGE_TEXT || `Claude AI usage limit reached|${reset}` : mode === 'rate-limit' ? 'API Error: 429 {"type":"error","error":{"type":"rate_limit_error","message":"Number of requests has exceeded your rate limit"}}' : 'API Error: 529 {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'
  emit({type: 'assistant', message: {id: randomUUID(), model: '<synthetic>', role: 'assistant', type: 'message', content: [{type: 'text', text}]}, session_id: sessionId})
  await holdUntilReleased()
  emit({type: 'result', subtype: 'success', is_error: true, duration_ms: 12, num_turns: 1, result: text, session_id: sessionId, total_cost_usd: 0.002})
  process.exit(Number(env.STANDIN_EXIT || 1))
}
if (mode === 'silent') {
  await holdUntilReleased()
  process.exit(Number(env.STANDIN_EXIT || 0))
}

if (env.STANDIN_REPLY_DELAY_MS) await sleep(Number(env.STANDIN_REPLY_DELAY_MS))
emit({type: 'assistant', message: {id: randomUUID(), model, role: 'assistant', type: 'message', content: [{type: 'text', text: 'I will read the issue and make the change.'}]}, session_id: sessionId})
// For the benchmark: when the first real reply went out.
if (env.STANDIN_TIMES_FILE) appendFileSync(env.STANDIN_TIMES_FILE, `${process.pid} reply ${Date.now()}\n`)
emit({type: 'assistant', message: {id: randomUUID(), model, role: 'assistant', type: 'message', content: [{type: 'tool_use', id: 'toolu_1', name: 'Bash', input: {command: 'git status --short'}}]}, session_id: sessionId})
const denials = []
if (env.STANDIN_REFUSE === '1') {
  const refuse = (id, name, input) => {
    emit({type: 'assistant', message: {id: randomUUID(), model, role: 'assistant', type: 'message', content: [{type: 'tool_use', id, name, input}]}, session_id: sessionId})
    emit({type: 'user', message: {role: 'user', content: [{type: 'tool_result', tool_use_id: id, content: `Auto mode is unavailable: its safety check does not run for this session, so ${name} was not run.`, is_error: true}]}, tool_result_meta: [{id, permission_decision: {decision: 'reject', source: 'mode'}}], session_id: sessionId})
    denials.push({tool_name: name, tool_use_id: id, tool_input: input})
  }
  // toolu_1 was announced above; its refusal, then a second refused call.
  emit({type: 'user', message: {role: 'user', content: [{type: 'tool_result', tool_use_id: 'toolu_1', content: 'Auto mode is unavailable: its safety check does not run for this session, so Bash was not run.', is_error: true}]}, tool_result_meta: [{id: 'toolu_1', permission_decision: {decision: 'reject', source: 'mode'}}], session_id: sessionId})
  denials.push({tool_name: 'Bash', tool_use_id: 'toolu_1', tool_input: {command: 'git status --short'}})
  refuse('toolu_3', 'Write', {file_path: 'NOTES.md', content: 'x'})
  refuse('toolu_4', 'Bash', {command: 'npm test'})
} else {
  emit({type: 'user', message: {role: 'user', content: [{type: 'tool_result', tool_use_id: 'toolu_1', content: '', is_error: false}]}, session_id: sessionId})
}

if (env.STANDIN_CHILD === '1') {
  spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)', 'stand-in-tool'], {stdio: 'ignore'})
}

if (env.STANDIN_COMMIT === '1') {
  const branch = execFileSync('git', ['rev-parse', '--abbrev-ref', 'HEAD'], {encoding: 'utf8'}).trim()
  const number = (/issue-(\d+)/.exec(branch) ?? [])[1] ?? '0'
  // A resumed run adds a line of its own, so every run has something to commit.
  if (existsSync('DISPATCH_DEMO.md') && resumeAt >= 0) appendFileSync('DISPATCH_DEMO.md', `Resumed by run ${process.pid}.\n`)
  else writeFileSync('DISPATCH_DEMO.md', `Work for issue #${number}, done by the stand-in worker.\n`)
  execFileSync('git', ['add', 'DISPATCH_DEMO.md'])
  execFileSync('git', ['-c', 'user.name=Stand-in Claude', '-c', 'user.email=stand-in@example.invalid', 'commit', '-q', '-m', `Add the demo note\n\nCloses #${number}`])
  emit({type: 'assistant', message: {id: randomUUID(), model, role: 'assistant', type: 'message', content: [{type: 'tool_use', id: 'toolu_2', name: 'Bash', input: {command: `git commit -m "Add the demo note" (closes #${number})`}}]}, session_id: sessionId})
}

await holdUntilReleased()

if (mode === 'error-result') {
  emit({type: 'result', subtype: 'error_during_execution', is_error: true, duration_ms: 50, num_turns: 2, result: 'something went wrong', session_id: sessionId, total_cost_usd: 0.001})
  process.exit(Number(env.STANDIN_EXIT || 1))
}
emit({type: 'assistant', message: {id: randomUUID(), model, role: 'assistant', type: 'message', content: [{type: 'text', text: 'Done: the change is committed on the branch.'}]}, session_id: sessionId})
emit({type: 'result', subtype: 'success', is_error: false, duration_ms: 1234, duration_api_ms: 1000, num_turns: 3, result: 'Done: the change is committed on the branch.', session_id: sessionId, total_cost_usd: 0.0123, usage: {input_tokens: 100, output_tokens: 50}, permission_denials: denials})
process.exit(Number(env.STANDIN_EXIT || 0))
