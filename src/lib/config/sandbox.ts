/**
 * The `sandbox` key (issue #20): at the top level and per repository under
 * `repos:`. A repository's `kind` replaces the top-level one; its lists are
 * added to the top-level lists (a registry one repository needs need not be
 * opened for all, and nothing opened for all needs repeating).
 */
import {z} from 'zod/v3'

import {parseAllowEntry} from '../sandbox/allow.js'

export const SANDBOX_KINDS = ['none', 'bubblewrap'] as const
export type SandboxKind = (typeof SANDBOX_KINDS)[number]

// The proxy's own reading of an entry, so the config refuses exactly what the proxy could not honour.
const hostPort = z.string().refine((e) => parseAllowEntry(e) !== undefined, {message: 'host[:port], *.domain[:port] or [IPv6][:port], e.g. registry.npmjs.org or *.pypi.org:443'})

export const sandboxSchema = z
  .object({
    kind: z.enum(SANDBOX_KINDS).optional(),
    /** Hosts the worker may reach through the proxy, beside the model API and the configured forges. */
    allowNetwork: z.array(hostPort).default([]),
    /** Paths hidden by the sandbox (under $HOME, the workspace, …) the worker may read. */
    allowRead: z.array(z.string().min(1)).default([]),
    /** Paths outside the worktree the worker may write. */
    allowWrite: z.array(z.string().min(1)).default([]),
  })
  .strict()

export type RawSandbox = z.infer<typeof sandboxSchema>

/** One level's sandbox settings, paths absolute. */
export interface SandboxSettings {
  /** Undefined: not said at this level (at the top level: no `sandbox` key at all). */
  kind?: SandboxKind
  allowNetwork: string[]
  allowRead: string[]
  allowWrite: string[]
}

/** The sandbox a dispatch of one repository runs with, the command line's choice over the config's. */
export interface SandboxChoice {
  kind: SandboxKind
  /** Where the kind came from: `default` means nobody chose (no sandbox key): the once-a-day warning. */
  source: 'flag' | 'repo' | 'config' | 'default'
  allowNetwork: string[]
  allowRead: string[]
  allowWrite: string[]
}

/**
 * Resolve the sandbox for one repository: flag over the repository's kind over
 * the top-level kind; a `sandbox` key without a kind means bubblewrap. Pure.
 */
export function sandboxFor(config: {sandbox: SandboxSettings; repoSandbox: Record<string, SandboxSettings>}, repo: string, flag?: SandboxKind): SandboxChoice {
  const top = config.sandbox
  const own = config.repoSandbox[repo.toLowerCase()]
  const lists = {
    allowNetwork: [...top.allowNetwork, ...(own?.allowNetwork ?? [])],
    allowRead: [...top.allowRead, ...(own?.allowRead ?? [])],
    allowWrite: [...top.allowWrite, ...(own?.allowWrite ?? [])],
  }
  if (flag) return {kind: flag, source: 'flag', ...lists}
  if (own?.kind) return {kind: own.kind, source: 'repo', ...lists}
  if (top.kind) return {kind: top.kind, source: 'config', ...lists}
  return {kind: 'none', source: 'default', ...lists}
}
