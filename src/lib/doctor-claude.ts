/**
 * doctor's checks of how Claude Code will behave for dispatch's workers: the
 * permission mode against the installed claude, and Claude's own config file
 * (a first run never finished, an API key never approved), both of which stop
 * claude on a prompt nobody sees in an interactive session or `attach`.
 */
import {readFileSync} from 'node:fs'

import {claudeConfigFile} from './claude.js'
import type {Check} from './doctor-check.js'

/** The values `--permission-mode` takes, from `claude --help` ("(choices: "acceptEdits", "auto", …)"); undefined when it does not say. Pure. */
export function permissionModeChoices(help: string): string[] | undefined {
  const at = help.indexOf('--permission-mode')
  if (at === -1) return undefined
  // The option's text runs to the next option line.
  const rest = help.slice(at + '--permission-mode'.length)
  const next = rest.search(/\n\s*-{1,2}[a-zA-Z]/)
  const text = next === -1 ? rest : rest.slice(0, next)
  const choices = /choices:([^)]*)\)/.exec(text)?.[1]
  if (!choices) return undefined
  return [...choices.matchAll(/"([^"]+)"/g)].map((m) => m[1])
}

/**
 * The configured mode against the installed claude and an unattended worker's
 * needs. Pure. `choices` undefined: the installed claude did not say.
 */
export function permissionModeCheck(mode: string, choices: string[] | undefined): Check {
  const name = 'permission mode'
  // The config value `default` is what claude --help calls `manual` (either is accepted).
  const known = !choices || choices.includes(mode) || (mode === 'default' && choices.includes('manual')) || (mode === 'manual' && choices.includes('default'))
  if (!known) {
    return {name, status: 'fail', detail: `claude.permissionMode is ${mode}, which the installed claude does not take (it takes ${choices!.join(', ')}).`, fix: 'Set claude.permissionMode to acceptEdits, or update Claude Code.'}
  }
  if (mode === 'auto') {
    return {
      name,
      status: 'warn',
      detail: 'claude.permissionMode is auto, which needs Claude\'s safety classifier; many accounts, API keys and providers lack it, and then every tool call of a worker is refused ("Auto mode is unavailable") while it still exits 0.',
      fix: 'Set claude.permissionMode to acceptEdits: edits in the worktree are approved and claude.allowedTools pre-approves the rest, with no prompt and no account feature needed.',
    }
  }
  if (mode === 'plan' || mode === 'default' || mode === 'manual' || mode === 'dontAsk') {
    const what = mode === 'plan' ? 'lets a worker read and plan but not edit' : 'refuses a headless worker every call claude.allowedTools does not list (nobody is there to approve it)'
    return {name, status: 'warn', detail: `claude.permissionMode is ${mode}, which ${what}.`, fix: 'For unattended workers set claude.permissionMode to acceptEdits (and list the tools they need in claude.allowedTools).'}
  }
  return {name, status: 'ok', detail: `${mode}${choices ? ' (the installed claude takes it)' : ''}`}
}

function readConfig(file: string): Record<string, unknown> | 'missing' | 'corrupt' {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return 'missing'
  }
  try {
    const value = JSON.parse(text) as unknown
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : 'corrupt'
  } catch {
    return 'corrupt'
  }
}

/**
 * Claude's config file as an interactive claude will read it: first run
 * finished (`hasCompletedOnboarding`), and an ANTHROPIC_API_KEY approved
 * (Claude Code keeps the last 20 characters of the trimmed key in
 * `customApiKeyResponses.approved`, or `.rejected`). Never prints the key
 * or any part of it.
 */
export function claudeConfigChecks(env: NodeJS.ProcessEnv): Check[] {
  const name = 'Claude config'
  const file = claudeConfigFile(env)
  const config = readConfig(file)
  if (config === 'corrupt') return [{name, status: 'warn', detail: `${file} is not valid JSON; claude may start over with its first-run setup.`, fix: `Move ${file} away and run claude once in a terminal.`}]
  const checks: Check[] = []
  if (config === 'missing' || config.hasCompletedOnboarding !== true) {
    checks.push({
      name,
      status: 'warn',
      detail: `${config === 'missing' ? `${file} does not exist: claude has never run here` : `${file}: claude's first-run setup never finished`}; interactive sessions and dispatch attach stop on its setup screens.`,
      fix: `Run claude once in a terminal and finish its setup, or set "hasCompletedOnboarding": true in ${file}.`,
    })
  }
  const key = env.ANTHROPIC_API_KEY?.trim()
  if (key) {
    const tail = key.slice(-20)
    const responses = (config !== 'missing' && config.customApiKeyResponses && typeof config.customApiKeyResponses === 'object' ? config.customApiKeyResponses : {}) as {approved?: unknown; rejected?: unknown}
    const has = (list: unknown) => Array.isArray(list) && list.includes(tail)
    if (has(responses.rejected)) {
      checks.push({name, status: 'warn', detail: `the API key in ANTHROPIC_API_KEY was rejected in claude's "Detected a custom API key" prompt (${file}); interactive sessions and dispatch attach do not use it.`, fix: `Remove its entry (the key's last 20 characters) from customApiKeyResponses.rejected in ${file}, and approve it when claude asks.`})
    } else if (!has(responses.approved)) {
      checks.push({
        name,
        status: 'warn',
        detail: `the API key in ANTHROPIC_API_KEY is not approved in ${file}; interactive sessions and dispatch attach stop on claude's "Detected a custom API key" prompt (headless workers do not ask).`,
        fix: `Run claude once in a terminal and approve the key, or add the key's last 20 characters to customApiKeyResponses.approved in ${file}.`,
      })
    }
  }
  return checks.length > 0 ? checks : [{name, status: 'ok', detail: `${file}: first run finished${key ? '; the API key in ANTHROPIC_API_KEY is approved' : ''}`}]
}
