#!/usr/bin/env node
// The installed entry point: loads compiled commands from dist/ through oclif.manifest.json.
process.env.OCLIF_SKIP_NEW_VERSION_CHECK ??= 'true'
const {execute} = await import('@oclif/core')
await execute({dir: import.meta.url})
