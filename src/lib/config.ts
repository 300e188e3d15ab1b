import {existsSync, realpathSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {z} from 'zod/v3'

import {LAUNCHER_PLACEHOLDERS, TemplateError, notifyCommandProblem, parseCommandTemplate} from './command-template.js'
import {UsageError, errorMessage} from './errors.js'
import {isValidName} from './issue-ref.js'
import {examplePath} from './package-files.js'
import {editDistance} from './similar.js'
import {parseOwnerEntry} from './policy.js'

export const DEFAULT_ALLOWED_TOOLS = ['Bash', 'Read', 'Edit', 'Write', 'Glob', 'Grep', 'TodoWrite']
export const SURFACES = ['auto', 'foreground', 'tmux', 'warp', 'command', 'print'] as const
export const LANDINGS = ['pr', 'merge', 'none'] as const
/**
 * The values Claude Code 2.1 takes for --permission-mode (`claude --help`
 * lists all but `default`, the older name of `manual`, which it still takes).
 * Checked here so a typo is a usage error now, not a worker that dies at start.
 */
export const PERMISSION_MODES = ['acceptEdits', 'auto', 'bypassPermissions', 'default', 'dontAsk', 'manual', 'plan'] as const
export const PROMPT_KINDS = ['headless', 'cascade', 'interactive-watch', 'interactive-consult'] as const

export type Surface = (typeof SURFACES)[number]
export type Landing = (typeof LANDINGS)[number]
export type PermissionMode = (typeof PERMISSION_MODES)[number]
export type PromptKind = (typeof PROMPT_KINDS)[number]

const ownerEntry = z.string().refine((e) => parseOwnerEntry(e) !== undefined, {message: 'a GitHub-style owner name, bare or as github:name / forgejo:name'})
const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//i.test(u), {message: 'an http(s) URL'})

const schema = z.object({
  allowedOwners: z.array(ownerEntry).min(1, {message: 'at least one owner'}),
  workspace: z
    .object({
      root: z.string().min(1).default('~/src'),
      layout: z
        .string()
        .min(1)
        .refine((l) => l.includes('{repo}'), {message: 'a template containing {repo}'})
        .default('{owner}/{repo}'),
    })
    .default({}),
  repos: z.record(z.string().min(1)).default({}),
  worktreeRoot: z.string().min(1).optional(),
  stateDir: z.string().min(1).optional(),
  maxActive: z.number().int().positive().default(8),
  healthWindowMs: z.number().int().min(0).max(120_000).default(4000),
  timeoutMs: z.number().int().positive().max(600_000).default(15_000),
  github: z
    .object({
      webUrl: httpUrl.default('https://github.com'),
      apiUrl: httpUrl.default('https://api.github.com'),
    })
    .default({}),
  forgejo: z
    .object({
      baseUrl: httpUrl,
      apiUrl: httpUrl.optional(),
      tokenEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default('FORGEJO_TOKEN'),
    })
    .optional(),
  claude: z
    .object({
      bin: z.string().min(1).default('claude'),
      permissionMode: z.enum(PERMISSION_MODES).default('auto'),
      allowedTools: z.array(z.string().min(1)).default(DEFAULT_ALLOWED_TOOLS),
      maxBudgetUsd: z.number().positive().optional(),
      model: z.string().min(1).optional(),
      extraArgs: z.array(z.string()).default([]),
    })
    .default({}),
  landing: z.enum(LANDINGS).default('pr'),
  interactive: z
    .object({
      surface: z.enum(SURFACES).default('auto'),
      command: z.string().min(1).optional(),
    })
    .default({}),
  notify: z
    .object({
      command: z.string().min(1).optional(),
      ntfy: httpUrl.optional(),
      desktop: z.boolean().default(false),
      timeoutMs: z.number().int().positive().max(60_000).default(5000),
    })
    .default({}),
  /** Only read from the operator's XDG config: repository configs the search may load (SPEC §10). */
  trustedConfigs: z.array(z.string().min(1)).optional(),
  prompts: z
    .object({
      headless: z.string().min(1).optional(),
      cascade: z.string().min(1).optional(),
      'interactive-watch': z.string().min(1).optional(),
      'interactive-consult': z.string().min(1).optional(),
    })
    .default({}),
})

type RawConfig = z.infer<typeof schema>

/** Configuration after validation, with every path absolute and `~` expanded. */
export interface Config {
  /** The file the config came from. */
  file: string
  allowedOwners: string[]
  workspace: {root: string; layout: string}
  /** Lower-cased `owner/repo` → absolute checkout path. */
  repos: Record<string, string>
  worktreeRoot: string
  stateDir: string
  maxActive: number
  healthWindowMs: number
  timeoutMs: number
  github: {webUrl: string; apiUrl: string}
  forgejo?: {baseUrl: string; apiUrl: string; tokenEnv: string}
  claude: RawConfig['claude']
  landing: Landing
  interactive: RawConfig['interactive']
  notify: RawConfig['notify']
  prompts: Partial<Record<PromptKind, string>>
}

export interface LoadOptions {
  /** `--config` flag. */
  configPath?: string
  cwd: string
  env: NodeJS.ProcessEnv
  /** Receives warnings (unknown keys). */
  warn?: (message: string) => void
  /**
   * For commands that only read state (status, sidequests, stop, reap --dry-run):
   * with no config anywhere they run on the defaults, with no owner allowed.
   */
  readOnly?: boolean
}

export const SEARCH_PLACES = [
  '.dispatchrc',
  '.dispatchrc.json',
  '.dispatchrc.yaml',
  '.dispatchrc.yml',
  '.dispatchrc.js',
  '.dispatchrc.mjs',
  '.dispatchrc.cjs',
  'dispatch.config.js',
  'dispatch.config.mjs',
  'dispatch.config.cjs',
  'package.json',
]

export function homeDir(env: NodeJS.ProcessEnv): string {
  return env.HOME || os.homedir()
}

export function expandHome(p: string, env: NodeJS.ProcessEnv): string {
  if (p === '~') return homeDir(env)
  if (p.startsWith('~/')) return path.join(homeDir(env), p.slice(2))
  return p
}

function resolvePath(p: string, baseDir: string, env: NodeJS.ProcessEnv): string {
  return path.resolve(baseDir, expandHome(p, env))
}

export function xdgDir(kind: 'config' | 'data' | 'state' | 'cache', env: NodeJS.ProcessEnv): string {
  const vars = {config: 'XDG_CONFIG_HOME', data: 'XDG_DATA_HOME', state: 'XDG_STATE_HOME', cache: 'XDG_CACHE_HOME'} as const
  const fallbacks = {config: '.config', data: '.local/share', state: '.local/state', cache: '.cache'} as const
  const fromEnv = env[vars[kind]]
  return fromEnv && path.isAbsolute(fromEnv) ? fromEnv : path.join(homeDir(env), fallbacks[kind])
}

const JS_EXTENSIONS = ['.js', '.mjs', '.cjs']
const XDG_NAMES = ['config.json', 'config.yaml', 'config.yml', 'config.mjs', 'config.js', 'config.cjs']

/** Where a config came from; decides what it may be (SPEC §3, §10). */
export type ConfigOrigin = '--config' | 'DISPATCH_CONFIG' | 'search' | 'xdg'

/**
 * May a config found at `file` be loaded? Pure over its inputs. The operator's
 * own choices (`--config`, `DISPATCH_CONFIG`, the XDG location) may be any
 * format. A file found by the search may be a repository's file, written by
 * anyone who can push, or by a worker in its worktree: it is never JavaScript
 * (loading it would run their code as the operator), and inside a git working
 * tree it is data the operator must have trusted by path (`trustedConfigs` in
 * the XDG config). Returns undefined when allowed, else why not.
 */
export function configTrustProblem(
  origin: ConfigOrigin,
  file: string,
  facts: {insideGitTree: boolean; trusted: boolean},
): 'javascript' | 'untrusted' | undefined {
  if (origin !== 'search') return undefined
  if (JS_EXTENSIONS.includes(path.extname(file))) return 'javascript'
  if (facts.insideGitTree && !facts.trusted) return 'untrusted'
  return undefined
}

/** Is `dir` inside a git working tree (a `.git` file or directory in it or above it)? A few stats. */
export function insideGitWorkTree(dir: string): boolean {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if (existsSync(path.join(d, '.git'))) return true
    if (path.dirname(d) === d) return false
  }
}

function realOrSelf(file: string): string {
  try {
    return realpathSync(file)
  } catch {
    return path.resolve(file)
  }
}

function xdgConfigFile(env: NodeJS.ProcessEnv): string | undefined {
  const dir = path.join(xdgDir('config', env), 'dispatch')
  for (const name of XDG_NAMES) {
    const file = path.join(dir, name)
    if (existsSync(file)) return file
  }
  return undefined
}

/** `trustedConfigs` from the operator's XDG config, as real paths; read only when a search hit needs it. */
async function trustedConfigs(env: NodeJS.ProcessEnv): Promise<{list: string[]; from?: string}> {
  const file = xdgConfigFile(env)
  if (!file) return {list: []}
  const raw = (await loadFile(file)).config as {trustedConfigs?: unknown} | undefined
  const list = raw && Array.isArray(raw.trustedConfigs) ? raw.trustedConfigs.filter((p): p is string => typeof p === 'string') : []
  return {list: list.map((p) => realOrSelf(path.resolve(path.dirname(file), expandHome(p, env)))), from: file}
}

async function refuseUnlessTrusted(file: string, env: NodeJS.ProcessEnv): Promise<void> {
  const inTree = insideGitWorkTree(path.dirname(file))
  const needsList = inTree && !JS_EXTENSIONS.includes(path.extname(file))
  const trusted = needsList ? (await trustedConfigs(env)).list.includes(realOrSelf(file)) : false
  const problem = configTrustProblem('search', file, {insideGitTree: inTree, trusted})
  const userConfig = path.join(xdgDir('config', env), 'dispatch', 'config.yaml')
  if (problem === 'javascript') {
    throw new UsageError(
      `Config file ${file} was found by searching from the current directory, and it is JavaScript: dispatch loads JavaScript configs only from --config, DISPATCH_CONFIG or ${path.dirname(userConfig)}/, because loading one runs its code as you.`,
      `If you wrote it, pass it explicitly: --config ${file} (or DISPATCH_CONFIG=${file}); otherwise remove it or run dispatch from elsewhere.`,
    )
  }
  if (problem === 'untrusted') {
    throw new UsageError(
      `Config file ${file} was found by searching from the current directory, inside a git working tree, and you have not trusted it: a repository's config could replace allowedOwners.`,
      `If you trust it, pass it explicitly (--config ${file}) or list it under trustedConfigs in ${userConfig}, e.g. trustedConfigs: [${file}].`,
    )
  }
}

/**
 * Find the config file path, or undefined when none exists anywhere (SPEC §3
 * order). A file found by the search must pass configTrustProblem.
 */
export async function findConfigFile(opts: LoadOptions): Promise<{file: string; raw: unknown; origin: ConfigOrigin} | undefined> {
  const explicit = opts.configPath ?? (opts.env.DISPATCH_CONFIG || undefined)
  if (explicit) {
    const file = path.resolve(opts.cwd, expandHome(explicit, opts.env))
    const origin = opts.configPath ? '--config' : 'DISPATCH_CONFIG'
    if (!existsSync(file)) {
      throw new UsageError(`Config file ${file} (from ${origin}) does not exist.`, `Check the path, run dispatch init --config ${file}, or copy ${examplePath()} there.`)
    }
    return {file, raw: (await loadFile(file)).config, origin}
  }

  // Walk from cwd to the filesystem root, then the XDG config dir.
  let dir = path.resolve(opts.cwd)
  for (;;) {
    for (const place of SEARCH_PLACES) {
      const file = path.join(dir, place)
      if (!existsSync(file)) continue
      if (place === 'package.json') {
        // A package.json without a "dispatch" key is not a config: keep looking.
        const result = await loadFile(file)
        if (result.config === undefined) continue
        await refuseUnlessTrusted(file, opts.env)
        return {file, raw: result.config, origin: 'search'}
      }
      // NOTE: judge before loading: loading a JavaScript file runs it.
      await refuseUnlessTrusted(file, opts.env)
      return {file, raw: (await loadFile(file)).config, origin: 'search'}
    }
    const parent = path.dirname(dir)
    if (parent === dir) break
    dir = parent
  }
  const file = xdgConfigFile(opts.env)
  return file ? {file, raw: (await loadFile(file)).config, origin: 'xdg'} : undefined
}

/**
 * Read one config file. JavaScript configs go through cosmiconfig (module
 * interop); JSON, YAML and package.json are parsed directly, which keeps the
 * hot commands (sidequests conflicts/list) from paying for cosmiconfig's load.
 * Any other extension given explicitly (my.conf, .dispatchrc.example) is YAML.
 */
async function loadFile(file: string): Promise<{config: unknown}> {
  try {
    const ext = path.extname(file)
    if (['.js', '.mjs', '.cjs'].includes(ext)) {
      const {cosmiconfig} = await import('cosmiconfig')
      const result = await cosmiconfig('dispatch', {searchPlaces: SEARCH_PLACES, searchStrategy: 'none', cache: false}).load(file)
      return {config: result?.config}
    }
    const text = await readFile(file, 'utf8')
    if (path.basename(file) === 'package.json') return {config: (JSON.parse(text) as {dispatch?: unknown}).dispatch}
    if (ext === '.json') return {config: JSON.parse(text)}
    if (text.trim() === '') return {config: undefined}
    // js-yaml: a fraction of the start-up cost of the yaml package, on the hot path of every command.
    const {load} = await import('js-yaml')
    return {config: load(text)}
  } catch (error) {
    throw new UsageError(`Config file ${file} could not be read: ${errorMessage(error).split('\n')[0]}`, 'Fix the syntax and try again.')
  }
}

function describeIssue(issue: z.ZodIssue): string {
  const key = issue.path.length > 0 ? issue.path.join('.') : '(top level)'
  let expected = issue.message
  if (issue.code === 'invalid_type') {
    expected = issue.received === 'undefined' ? `is required (${issue.expected})` : `expected ${issue.expected}, got ${issue.received}`
  } else if (issue.code === 'invalid_enum_value') {
    expected = `expected one of ${issue.options.join(', ')}, got ${JSON.stringify(issue.received)}`
  } else if (issue.code === 'too_small' && issue.type === 'array') {
    expected = `expected ${issue.message}`
  } else if (issue.code === 'custom') {
    expected = `expected ${issue.message}`
  }
  return `${key}: ${expected}`
}

/** Keys that the schema does not know, as dotted paths. Unknown keys are warned about, not fatal. */
function unknownKeys(raw: unknown, shape: z.ZodTypeAny, prefix = ''): string[] {
  let inner: z.ZodTypeAny = shape
  while (inner instanceof z.ZodDefault || inner instanceof z.ZodOptional) inner = inner._def.innerType
  if (!(inner instanceof z.ZodObject) || raw === null || typeof raw !== 'object' || Array.isArray(raw)) return []
  const known = inner.shape as Record<string, z.ZodTypeAny>
  const found: string[] = []
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!(key in known)) found.push(prefix + key)
    else found.push(...unknownKeys(value, known[key], `${prefix}${key}.`))
  }
  return found
}

/** Every key the schema knows, as dotted paths. */
function knownKeys(shape: z.ZodTypeAny, prefix = ''): string[] {
  let inner: z.ZodTypeAny = shape
  while (inner instanceof z.ZodDefault || inner instanceof z.ZodOptional) inner = inner._def.innerType
  if (!(inner instanceof z.ZodObject)) return []
  return Object.entries(inner.shape as Record<string, z.ZodTypeAny>).flatMap(([k, v]) => [prefix + k, ...knownKeys(v, `${prefix}${k}.`)])
}

const KNOWN_KEYS = knownKeys(schema)

/** Keys whose typo would quietly weaken a safety promise or change what workers do. */
const SAFETY_KEYS = new Set([
  'allowedOwners',
  'repos',
  'workspace.root',
  'workspace.layout',
  'worktreeRoot',
  'stateDir',
  'maxActive',
  'landing',
  'claude.permissionMode',
  'claude.allowedTools',
  'claude.maxBudgetUsd',
  'interactive.command',
  'notify.command',
])

/**
 * The known key an unknown one most likely meant: the closest by the last
 * segment (a quarter of its letters may differ, case ignored), wherever it
 * sits, so `permisionMode` at the top level finds `claude.permissionMode`.
 * Ties go to the same parent. Pure.
 */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  const leaf = (k: string) => k.slice(k.lastIndexOf('.') + 1).toLowerCase()
  const parent = (k: string) => k.slice(0, Math.max(0, k.lastIndexOf('.')))
  const want = leaf(key)
  let best: {key: string; score: number} | undefined
  for (const k of known) {
    const d = editDistance(want, leaf(k))
    if (d > Math.max(1, Math.floor(want.length / 4))) continue
    const score = d * 2 + (parent(k) === parent(key) ? 0 : 1)
    if (!best || score < best.score) best = {key: k, score}
  }
  return best?.key
}

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
  for (const [key, value] of Object.entries(c.repos)) {
    const [owner, repo, ...extra] = key.split('/')
    if (extra.length > 0 || !owner || !repo || !isValidName(owner) || !isValidName(repo)) {
      throw new UsageError(`Config file ${file} is invalid: repos.${key}: expected a key of the form owner/repo.`, 'Fix the key in repos.')
    }
    repos[key.toLowerCase()] = resolvePath(value, baseDir, env)
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
    worktreeRoot: c.worktreeRoot
      ? resolvePath(c.worktreeRoot, baseDir, env)
      : path.join(xdgDir('data', env), 'dispatch', 'worktrees'),
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
    interactive: c.interactive,
    notify: c.notify,
    prompts,
  }
}

/** The defaults alone, for read-only commands run before any config exists: every directory as documented, no owner allowed. */
export function defaultConfig(env: NodeJS.ProcessEnv): Config {
  // The schema insists on an owner (the security claim); a config nobody wrote allows none.
  return {...validateConfig({allowedOwners: ['placeholder']}, '(no config file: defaults)', env), allowedOwners: []}
}

/** Load and validate the configuration (SPEC §3). */
export async function loadConfig(opts: LoadOptions): Promise<Config> {
  const found = await findConfigFile(opts)
  if (!found && opts.readOnly) return defaultConfig(opts.env)
  if (!found) {
    throw new UsageError(
      'No dispatch configuration found: dispatching needs allowedOwners, the owners dispatch may work for.',
      `Run: dispatch init --owner <your-org> (writes ${path.join(xdgDir('config', opts.env), 'dispatch', 'config.yaml')}), or pass --config <file>. Every key is explained in ${examplePath()}.`,
    )
  }
  const raw = found.raw as {trustedConfigs?: unknown} | undefined
  if (raw?.trustedConfigs !== undefined && found.origin !== 'xdg' && found.file !== xdgConfigFile(opts.env)) {
    opts.warn?.(`warning: ${found.file}: trustedConfigs is read only from ${path.join(xdgDir('config', opts.env), 'dispatch')}/; ignored here`)
  }
  return validateConfig(found.raw, found.file, opts.env, opts.warn)
}
