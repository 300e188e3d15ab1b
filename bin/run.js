#!/usr/bin/env node
// The installed entry point. Global flags typed before the command move after
// it first (src/cli/argv.ts). The hot commands take a fast path that skips
// loading oclif: --version, sidequests conflicts/list, autocomplete refs (run
// on every TAB) and the dispatching commands headless, cascade and interactive
// (src/fast.ts, src/fast-dispatch.ts); anything a fast path does not fully
// understand, and everything else, loads compiled commands from dist/ via
// oclif.manifest.json. DISPATCH_FAST_PATH=0 always takes oclif.
const {hoistGlobalFlags} = await import('../dist/cli/argv.js')
const argv = hoistGlobalFlags(process.argv.slice(2))
const fast = process.env.DISPATCH_FAST_PATH !== '0'
let code
// NOTE: fetch (undici) parses HTTP with a WebAssembly module. V8 optimises it
// on a background thread, and the process waits for that thread at exit:
// about 120 ms on every command that talks to a forge, for HTTP parsing of a
// few responses. The baseline compiler alone is plenty for that.
const liftoffOnly = async () => (await import('node:v8')).setFlagsFromString('--liftoff-only')
// Run by a sandboxed worker: the relay outside carries the command out (src/lib/sandbox/relay.ts).
if (process.env.DISPATCH_RELAY_SOCKET) {
  const {runRelayed} = await import('../dist/lib/sandbox/relay-client.js')
  code = await runRelayed(argv, process.env.DISPATCH_RELAY_SOCKET)
} else if (fast && (argv[0] === 'headless' || argv[0] === 'cascade' || argv[0] === 'interactive')) {
  await liftoffOnly()
  const {runFastDispatch} = await import('../dist/fast-dispatch.js')
  code = await runFastDispatch(argv)
} else if (fast && (argv[0] === 'sidequests' || (argv[0] === 'autocomplete' && argv[1] === 'refs') || (argv.length <= 2 && (argv.includes('--version') || argv.includes('-v'))))) {
  const {runFast} = await import('../dist/fast.js')
  code = await runFast(argv)
}
if (code === undefined) {
  await liftoffOnly()
  process.env.OCLIF_SKIP_NEW_VERSION_CHECK ??= 'true'
  // NOTE: on load, @oclif/core checks node against its own engines range
  // (>=18) with semver, ~15 ms of every oclif command; package.json's engines
  // (>=20.17) is stricter and npm checks it. Skipped for this import only, so
  // workers do not inherit the variable.
  const engineWarning = process.env.OCLIF_DISABLE_ENGINE_WARNING
  process.env.OCLIF_DISABLE_ENGINE_WARNING = 'true'
  const {execute} = await import('@oclif/core')
  if (engineWarning === undefined) delete process.env.OCLIF_DISABLE_ENGINE_WARNING
  else process.env.OCLIF_DISABLE_ENGINE_WARNING = engineWarning
  await execute({dir: import.meta.url, args: argv})
} else {
  // NOTE: no process.exit(): it could cut off output still queued for a pipe.
  process.exitCode = code
}
