#!/usr/bin/env -S node --import tsx --disable-warning=ExperimentalWarning
// Development entry point: runs the TypeScript sources directly, ignoring the manifest.
process.env.OCLIF_SKIP_NEW_VERSION_CHECK ??= 'true'
const {execute} = await import('@oclif/core')
await execute({development: true, dir: import.meta.url})
