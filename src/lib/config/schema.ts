import {z} from 'zod/v3'

import {parseOwnerEntry} from '../policy.js'
import {sandboxSchema, type SandboxSettings} from './sandbox.js'

const DEFAULT_ALLOWED_TOOLS = ['Bash', 'Read', 'Edit', 'Write', 'Glob', 'Grep', 'TodoWrite']
export const SURFACES = ['auto', 'foreground', 'tmux', 'warp', 'command', 'print'] as const
const LANDINGS = ['pr', 'merge', 'none'] as const
/**
 * The values Claude Code 2.1 takes for --permission-mode (`claude --help`
 * lists all but `default`, the older name of `manual`, which it still takes).
 * Checked here so a typo is a usage error now, not a worker that dies at start.
 */
export const PERMISSION_MODES = ['acceptEdits', 'auto', 'bypassPermissions', 'default', 'dontAsk', 'manual', 'plan'] as const
export const RUNNER_KINDS = ['local', 'slurm'] as const
export const PROMPT_KINDS = ['headless', 'cascade', 'interactive-watch', 'interactive-consult'] as const

export type Surface = (typeof SURFACES)[number]
export type Landing = (typeof LANDINGS)[number]
export type PromptKind = (typeof PROMPT_KINDS)[number]

const ownerEntry = z.string().refine((e) => parseOwnerEntry(e) !== undefined, {message: 'a GitHub-style owner name, bare or as github:name / forgejo:name'})
const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//i.test(u), {message: 'an http(s) URL'})

export const schema = z.object({
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
  // A path (the old form), or settings for the repository: its path, its own worktree setup and sandbox.
  repos: z.record(z.union([z.string().min(1), z.object({path: z.string().min(1).optional(), setup: z.string().min(1).optional(), sandbox: sandboxSchema.optional()}).strict()])).default({}),
  worktreeRoot: z.string().min(1).optional(),
  worktree: z
    .object({
      /** Run in a new worktree before the worker starts (src/lib/bootstrap/setup.ts). */
      setup: z.string().min(1).optional(),
      setupTimeoutMs: z.number().int().positive().max(3_600_000).default(600_000),
      portBase: z.number().int().min(1).max(65_535).default(3100),
      portStride: z.number().int().min(1).max(1000).default(10),
    })
    .default({}),
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
  /** The fleet's daily spend cap (docs/budget.md): absent, no cap. */
  budget: z.object({dailyUsd: z.number().positive()}).optional(),
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
  /** How headless and cascade workers start: here (local) or as Slurm batch jobs. */
  runner: z
    .object({
      kind: z.enum(RUNNER_KINDS).default('local'),
      slurm: z
        .object({
          partition: z.string().min(1).optional(),
          account: z.string().min(1).optional(),
          qos: z.string().min(1).optional(),
          /** sbatch --time: minutes, or [D-]HH:MM:SS. */
          timeLimit: z.union([z.number().int().positive(), z.string().regex(/^(\d+-)?\d+(:\d+){0,2}$/, {message: 'minutes or [days-]hours:minutes:seconds'})]).optional(),
          cpus: z.number().int().positive().optional(),
          /** sbatch --mem: megabytes, or with a unit (4G). */
          memory: z.union([z.number().int().positive(), z.string().regex(/^\d+[KMGT]?$/i, {message: 'a size such as 4096 or 4G'})]).optional(),
          extraArgs: z.array(z.string()).default([]),
        })
        .default({}),
    })
    .default({}),
  /** Confine workers (src/lib/sandbox/); no key: unsandboxed, with a daily reminder. */
  sandbox: sandboxSchema.optional(),
  /** `dispatch watch` (src/lib/watch/): which labelled issues it carries, and its limits. */
  watch: z
    .object({
      sources: z
        .array(
          z
            .object({
              repo: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, {message: 'owner/repo'}),
              label: z.string().min(1),
            })
            .strict(),
        )
        .default([]),
      intervalSeconds: z.number().int().min(5).max(86_400).default(60),
      maxActive: z.number().int().positive().optional(),
      maxAttempts: z.number().int().min(1).max(20).default(3),
      maxRounds: z.number().int().min(0).max(20).default(3),
      stallMinutes: z.number().positive().max(1440).default(30),
      comment: z.boolean().default(false),
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

export type RawConfig = z.infer<typeof schema>

/** Configuration after validation, with every path absolute and `~` expanded. */
export interface Config {
  /** The file the config came from. */
  file: string
  allowedOwners: string[]
  workspace: {root: string; layout: string}
  /** Lower-cased `owner/repo` → absolute checkout path. */
  repos: Record<string, string>
  /** Lower-cased `owner/repo` → that repository's own setup command (repos.<r>.setup), over worktree.setup. */
  repoSetup: Record<string, string>
  worktreeRoot: string
  worktree: RawConfig['worktree']
  stateDir: string
  maxActive: number
  healthWindowMs: number
  timeoutMs: number
  github: {webUrl: string; apiUrl: string}
  forgejo?: {baseUrl: string; apiUrl: string; tokenEnv: string}
  claude: RawConfig['claude']
  landing: Landing
  /** budget.dailyUsd: new starts stop once the workers started today (local time) cost this much. */
  budget?: {dailyUsd: number}
  interactive: RawConfig['interactive']
  notify: RawConfig['notify']
  prompts: Partial<Record<PromptKind, string>>
  runner: RawConfig['runner']
  watch: RawConfig['watch']
  /** The top-level sandbox key; `kind` undefined when the config has none. */
  sandbox: SandboxSettings
  /** Lower-cased `owner/repo` → that repository's sandbox settings (repos.<r>.sandbox). */
  repoSandbox: Record<string, SandboxSettings>
}
