// The build the test command runs first. The package tests load the built JavaScript (ESM and CJS entries); the
// type declarations are checked by `pnpm typecheck` on the sources and are only emitted (the slow part of the build)
// by `pnpm build` and by the full run (`ZRKIT_FULL=1`, what CI runs), so the default run stays quick.
import { spawnSync } from 'node:child_process'

const raw = process.env.ZRKIT_FULL
const full = raw === '1' || raw === 'true'
const args = ['-r', '--filter', './packages/*', 'build', ...(full ? [] : ['--no-dts'])]
const pnpm = process.env.npm_execpath
const result = pnpm
  ? spawnSync(process.execPath, [pnpm, ...args], { stdio: 'inherit' })
  : spawnSync('pnpm', args, { stdio: 'inherit', shell: process.platform === 'win32' })
if (result.error) throw result.error
process.exit(result.status ?? 1)
