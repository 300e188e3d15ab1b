import {createRequire} from 'node:module'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

/**
 * Node flags for starting one of our own helper scripts (supervisor, session
 * runner) next to the calling module: none for compiled JavaScript; the tsx
 * loader, by absolute URL (the child's cwd is elsewhere), when the tests run
 * the TypeScript sources.
 */
export function helperScript(callerUrl: string, name: string): {file: string; execArgv: string[]} {
  const self = fileURLToPath(callerUrl)
  const ext = path.extname(self)
  const execArgv = ext === '.ts' ? ['--import', pathToFileURL(createRequire(callerUrl).resolve('tsx')).href] : []
  return {file: path.join(path.dirname(self), `${name}${ext}`), execArgv}
}
