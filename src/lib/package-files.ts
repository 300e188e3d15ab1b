import path from 'node:path'
import {fileURLToPath} from 'node:url'

/** The installed package's root (the folder holding package.json), from dist/lib or src/lib alike. */
function packageRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
}

/** Where the installed `.dispatchrc.example` is, so messages can name a file the user can open. */
export function examplePath(): string {
  return path.join(packageRoot(), '.dispatchrc.example')
}
