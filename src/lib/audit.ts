import {chmod, mkdir, open, rename, rm, stat} from 'node:fs/promises'
import path from 'node:path'

import {redactUrlCredentials} from './errors.js'
import {withLock} from './lock.js'

/** One audit line per dispatching command (SPEC §5). */
export interface AuditEntry {
  command: string
  args: string[]
  ref?: string
  cwd: string
  outcome: string
  exit_code: number
  pid?: number
  /** true when a short ref fell back from Forgejo to GitHub. */
  forge_fallback?: boolean
}

/** Environment variables whose values are secrets and must never reach a file. */
const SECRET_ENV = ['GH_TOKEN', 'GITHUB_TOKEN', 'FORGEJO_TOKEN', 'ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN', 'CLAUDE_CODE_MESSAGING_TOKEN']

/** Replace every known secret value in a string. Pure. */
function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = redactUrlCredentials(text)
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('[REDACTED]')
  return out
}

export function secretValues(env: NodeJS.ProcessEnv, extraNames: readonly string[] = []): string[] {
  return [...SECRET_ENV, ...extraNames].map((n) => env[n]).filter((v): v is string => Boolean(v))
}

export interface AuditLimits {
  /** Rotate once the file is at least this large. */
  maxBytes: number
  /** How many rotated files (audit.jsonl.1 … .N) to keep. */
  keep: number
}

/** 10 MiB is about 40,000 dispatches; three old files keep months of history. */
const AUDIT_LIMITS: AuditLimits = {maxBytes: 10 * 1024 * 1024, keep: 3}

/**
 * Rotate by size: audit.jsonl → .1 → .2 …, the oldest dropped. Renames only,
 * so a writer that opened the file before appends to what is now .1 and no
 * line is lost. NOTE: two dispatches that both saw a full file would each
 * shift the generations and drop one; the rotation therefore runs under a
 * lock and looks at the size again once it holds it. Best-effort: the audit
 * line matters more than the rotation.
 */
async function rotateAudit(stateDir: string, file: string, limits: AuditLimits): Promise<void> {
  const full = async () => (await stat(file).then((s) => s.size, () => 0)) >= limits.maxBytes
  if (!(await full())) return
  await withLock(path.join(stateDir, 'locks', 'audit'), async () => {
    if (!(await full())) return
    await rm(`${file}.${limits.keep}`, {force: true}).catch(() => {})
    for (let i = limits.keep - 1; i >= 1; i--) await rename(`${file}.${i}`, `${file}.${i + 1}`).catch(() => {})
    await rename(file, `${file}.1`).catch(() => {})
  }).catch(() => {})
}

/**
 * Append one pino line to `<stateDir>/audit.jsonl` (0600). Secrets are
 * redacted by key (pino's redact) and by value (anything equal to a token).
 */
export async function writeAudit(stateDir: string, entry: AuditEntry, secrets: readonly string[], limits: AuditLimits = AUDIT_LIMITS): Promise<void> {
  const {default: pino} = await import('pino')
  await mkdir(stateDir, {recursive: true, mode: 0o700})
  const file = path.join(stateDir, 'audit.jsonl')
  await rotateAudit(stateDir, file, limits)
  // Create it 0600 first: pino's destination would use the umask.
  const handle = await open(file, 'a', 0o600)
  await handle.close()
  await chmod(file, 0o600).catch(() => {})
  const dest = pino.destination({dest: file, sync: true, append: true, mkdir: false})
  const logger = pino(
    {
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: 'msg',
      redact: {paths: ['token', '*.token', 'env', 'headers.authorization', '*.authorization'], censor: '[REDACTED]'},
    },
    dest,
  )
  const clean = JSON.parse(redactSecrets(JSON.stringify(entry), secrets)) as AuditEntry
  logger.info(clean, clean.command)
  dest.flushSync()
  dest.end()
}
