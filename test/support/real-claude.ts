/** The real Claude Code CLI for the end-to-end tier: the pinned binary (never PATH) and the environment that points it at the loopback model. */
import {existsSync} from 'node:fs'
import {createRequire} from 'node:module'
import path from 'node:path'

/** The pinned @anthropic-ai/claude-code devDependency's native binary, found through its platform package; undefined when absent. */
export function claudeBinary(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve(`@anthropic-ai/claude-code-${process.platform}-${process.arch}/package.json`)
    const bin = path.join(path.dirname(pkg), process.platform === 'win32' ? 'claude.exe' : 'claude')
    return existsSync(bin) ? bin : undefined
  } catch {
    return undefined
  }
}

/** A key of the right shape for the loopback Messages API (it is never sent anywhere else). */
export const API_KEY = 'sk-ant-e2e-loopback-0123456789abcdefghij'

/** The loopback model, and nothing that would reach the internet: no telemetry, updates or error reports. */
export function loopbackModelEnv(modelUrl: string, tmp: string, apiKey = API_KEY): NodeJS.ProcessEnv {
  return {
    TMPDIR: tmp,
    ANTHROPIC_BASE_URL: modelUrl,
    ANTHROPIC_API_KEY: apiKey,
    DISABLE_TELEMETRY: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_ERROR_REPORTING: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  }
}
