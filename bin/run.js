#!/usr/bin/env node
// The installed entry point. The hot, script-facing commands (--version,
// sidequests conflicts/list, and autocomplete refs, run on every TAB) take a fast path that skips loading oclif;
// everything else loads compiled commands from dist/ via oclif.manifest.json.
const argv = process.argv.slice(2)
let code
// Run by a sandboxed worker: the relay outside carries the command out (src/lib/sandbox/relay.ts).
if (process.env.DISPATCH_RELAY_SOCKET) {
  const {runRelayed} = await import('../dist/lib/sandbox/relay-client.js')
  code = await runRelayed(argv, process.env.DISPATCH_RELAY_SOCKET)
} else if (argv[0] === 'sidequests' || (argv[0] === 'autocomplete' && argv[1] === 'refs') || (argv.length <= 2 && (argv.includes('--version') || argv.includes('-v')))) {
  const {runFast} = await import('../dist/fast.js')
  code = await runFast(argv)
}
if (code === undefined) {
  // NOTE: fetch (undici) parses HTTP with a WebAssembly module. V8 optimises it
  // on a background thread, and the process waits for that thread at exit:
  // about 120 ms on every command that talks to a forge, for HTTP parsing of a
  // few responses. The baseline compiler alone is plenty for that.
  const {setFlagsFromString} = await import('node:v8')
  setFlagsFromString('--liftoff-only')
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
  await execute({dir: import.meta.url})
} else {
  // NOTE: no process.exit(): it could cut off output still queued for a pipe.
  process.exitCode = code
}
