import {accessSync, constants, statSync} from 'node:fs'
import path from 'node:path'

/** Is `file` an executable regular file? */
export function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK)
    return statSync(file).isFile()
  } catch {
    return false
  }
}

/**
 * The first executable called `name` on `env.PATH`, as an absolute path, or
 * undefined. Looking first is cheaper than spawning a program that turns out
 * not to exist: that still costs a fork of the whole node process.
 */
export function which(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue
    const candidate = path.join(dir, name)
    if (isExecutableFile(candidate)) return candidate
  }
  return undefined
}
