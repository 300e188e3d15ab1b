import path from 'node:path'

import {LAUNCHER_PLACEHOLDERS, TemplateError, notifyCommandProblem, parseCommandTemplate} from '../command-template.js'
import {UsageError} from '../errors.js'
import {isValidName} from '../issue-ref.js'
import {examplePath} from '../package-files.js'
import {parseOwnerEntry} from '../policy.js'
import {KNOWN_KEYS, SAFETY_KEYS, describeIssue, nearestKey, unknownKeys} from './keys.js'
import {resolvePath, xdgDir} from './paths.js'
import type {RawSandbox, SandboxSettings} from './sandbox.js'
import {PROMPT_KINDS, schema, type Config, type PromptKind, type RawConfig} from './schema.js'

/** In YAML an empty key (`prompts:` with only comments under it) is null: treat it as not set. */
function withoutNulls(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== null).map(([k, v]) => [k, withoutNulls(v)]))
}

/** Command templates are checked when the config loads, not when an issue's title reaches them. */
function checkTemplates(c: RawConfig, file: string): void {
  if (c.interactive.command) {
    try {
      parseCommandTemplate(c.interactive.command, LAUNCHER_PLACEHOLDERS)
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error
      throw new UsageError(
        `Config file ${file} is invalid: interactive.command: ${error.message}.`,
        'The template is split into words and run without a shell; a safe form is: wezterm cli spawn --cwd {cwd} -- {argv}',
      )
    }
  }
  const problem = c.notify.command ? notifyCommandProblem(c.notify.command) : undefined
  if (problem) {
    throw new UsageError(`Config file ${file} is invalid: notify.command: ${problem}.`, 'A safe form is: notify-send "$DISPATCH_REF" "$DISPATCH_TITLE"')
  }
}

/** One level's sandbox settings with its paths resolved; `top`: a section without a kind means bubblewrap. */
function sandboxSettings(raw: RawSandbox | undefined, top: boolean, baseDir: string, env: NodeJS.ProcessEnv): SandboxSettings {
  if (!raw) return {allowNetwork: [], allowRead: [], allowWrite: []}
  const paths = (list: string[]) => list.map((p) => resolvePath(p, baseDir, env))
  return {kind: raw.kind ?? (top ? 'bubblewrap' : undefined), allowNetwork: raw.allowNetwork, allowRead: paths(raw.allowRead), allowWrite: paths(raw.allowWrite)}
}

/** Validate a raw config object and resolve its paths. Pure apart from reading env. */
export function validateConfig(raw: unknown, file: string, env: NodeJS.ProcessEnv, warn?: (m: string) => void): Config {
  if (raw === null || raw === undefined || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new UsageError(
      `Config file ${file} is invalid: expected a mapping of keys, got ${raw === null || raw === undefined ? 'nothing' : Array.isArray(raw) ? 'a list' : typeof raw}.`,
      `See ${examplePath()} for every key; allowedOwners is required.`,
    )
  }
  const parsed = schema.safeParse(withoutNulls(raw))
  if (!parsed.success) {
    const lines = parsed.error.issues.slice(0, 5).map(describeIssue)
    throw new UsageError(
      `Config file ${file} is invalid: ${lines.join('; ')}.`,
      `See ${examplePath()} for every key and its expected type.`,
    )
  }
  const unknown = unknownKeys(raw, schema).map((key) => ({key, near: nearestKey(key, KNOWN_KEYS)}))
  // A misspelt key that guards safety or changes what a worker does must not silently fall back to its default.
  const risky = unknown.filter((u) => u.near && SAFETY_KEYS.has(u.near))
  if (risky.length > 0) {
    throw new UsageError(
      `Config file ${file} is invalid: ${risky.map((u) => `unknown key "${u.key}" (did you mean "${u.near}"?)`).join('; ')}.`,
      `Rename the key; its default would apply otherwise. Every key is explained in ${examplePath()}.`,
    )
  }
  for (const u of unknown) warn?.(`warning: ${file}: unknown key "${u.key}" ignored${u.near ? ` (did you mean "${u.near}"?)` : ''}`)

  const c = parsed.data
  checkTemplates(c, file)
  const baseDir = path.dirname(file)
  const pinnedToForgejo = c.allowedOwners.findIndex((e) => parseOwnerEntry(e)?.forge === 'forgejo')
  if (pinnedToForgejo !== -1 && !c.forgejo) {
    throw new UsageError(
      `Config file ${file} is invalid: allowedOwners.${pinnedToForgejo}: ${c.allowedOwners[pinnedToForgejo]} names Forgejo, but no forgejo section is configured.`,
      'Add forgejo.baseUrl, or drop the forgejo: prefix.',
    )
  }
  const repos: Record<string, string> = {}
  const repoSetup: Record<string, string> = {}
  const repoSandbox: Record<string, SandboxSettings> = {}
  for (const [key, entry] of Object.entries(c.repos)) {
    const [owner, repo, ...extra] = key.split('/')
    if (extra.length > 0 || !owner || !repo || !isValidName(owner) || !isValidName(repo)) {
      throw new UsageError(`Config file ${file} is invalid: repos.${key}: expected a key of the form owner/repo.`, 'Fix the key in repos.')
    }
    const value = typeof entry === 'string' ? entry : entry.path
    if (value) repos[key.toLowerCase()] = resolvePath(value, baseDir, env)
    if (typeof entry !== 'string' && entry.setup) repoSetup[key.toLowerCase()] = entry.setup
    if (typeof entry !== 'string' && entry.sandbox) repoSandbox[key.toLowerCase()] = sandboxSettings(entry.sandbox, false, baseDir, env)
  }
  const prompts: Partial<Record<PromptKind, string>> = {}
  for (const kind of PROMPT_KINDS) {
    const p = c.prompts[kind]
    if (p) prompts[kind] = resolvePath(p, baseDir, env)
  }
  return {
    file,
    allowedOwners: c.allowedOwners,
    workspace: {root: resolvePath(c.workspace.root, baseDir, env), layout: c.workspace.layout},
    repos,
    repoSetup,
    worktreeRoot: c.worktreeRoot
      ? resolvePath(c.worktreeRoot, baseDir, env)
      : path.join(xdgDir('data', env), 'dispatch', 'worktrees'),
    worktree: c.worktree,
    stateDir: c.stateDir ? resolvePath(c.stateDir, baseDir, env) : path.join(xdgDir('state', env), 'dispatch'),
    maxActive: c.maxActive,
    healthWindowMs: c.healthWindowMs,
    timeoutMs: c.timeoutMs,
    github: {webUrl: c.github.webUrl.replace(/\/+$/, ''), apiUrl: c.github.apiUrl.replace(/\/+$/, '')},
    forgejo: c.forgejo
      ? {
          baseUrl: c.forgejo.baseUrl.replace(/\/+$/, ''),
          apiUrl: (c.forgejo.apiUrl ?? c.forgejo.baseUrl.replace(/\/+$/, '') + '/api/v1').replace(/\/+$/, ''),
          tokenEnv: c.forgejo.tokenEnv,
        }
      : undefined,
    claude: {...c.claude, bin: c.claude.bin.includes('/') ? resolvePath(c.claude.bin, baseDir, env) : c.claude.bin},
    landing: c.landing,
    ...(c.budget ? {budget: {dailyUsd: c.budget.dailyUsd}} : {}),
    interactive: c.interactive,
    notify: c.notify,
    prompts,
    runner: c.runner,
    watch: c.watch,
    sandbox: sandboxSettings(c.sandbox, true, baseDir, env),
    repoSandbox,
  }
}

/** The defaults alone, for read-only commands run before any config exists: every directory as documented, no owner allowed. */
export function defaultConfig(env: NodeJS.ProcessEnv): Config {
  // The schema insists on an owner (the security claim); a config nobody wrote allows none.
  return {...validateConfig({allowedOwners: ['placeholder']}, '(no config file: defaults)', env), allowedOwners: []}
}
