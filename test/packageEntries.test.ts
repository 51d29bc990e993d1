// Every published entry point of every package is real: each subpath in a package's `exports` map is
// built by its tsup config from a source module that exports something, and the repository's
// tsconfig paths and vitest aliases name only such entries.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))
type PackageJson = { name: string; private?: boolean; exports: Record<string, string | { import: { types: string; default: string } }> }
const packageJson = (dir: string): PackageJson => JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'))

const workspacePackages = readdirSync(join(root, 'packages'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
/** The published packages; private ones (`@zrkit/testkit`) are never built nor published. */
const packages = workspacePackages.filter((dir) => packageJson(dir).private !== true)

/** Every specifier of a private package, with the source its `exports` map names (no build: the TypeScript itself). */
const privateEntries = new Map(
  workspacePackages
    .filter((dir) => packageJson(dir).private === true)
    .flatMap((dir) => {
      const pkg = packageJson(dir)
      return Object.entries(pkg.exports)
        .filter(([subpath, target]) => subpath !== './package.json' && typeof target === 'string')
        .map(([subpath, target]) => [subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`, `packages/${dir}/${(target as string).replace(/^\.\//, '')}`] as const)
    }),
)

/** The `entry` map of a package's tsup config (name -> source path), read from its source text. */
function tsupEntries(dir: string): Record<string, string> {
  const text = readFileSync(join(root, 'packages', dir, 'tsup.config.ts'), 'utf8')
  const match = /entry:\s*\{([^}]*)\}/.exec(text)
  if (!match) throw new Error(`packages/${dir}/tsup.config.ts: no entry map`)
  return Object.fromEntries([...match[1]!.matchAll(/(\w+):\s*'([^']+)'/g)].map((m) => [m[1]!, m[2]!]))
}

/** Names a module exports (values and types), from its syntax. */
function exportedNames(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS)
  const names: string[] = []
  for (const statement of source.statements) {
    if (ts.isExportDeclaration(statement)) {
      if (!statement.exportClause) names.push(`* from ${(statement.moduleSpecifier as ts.StringLiteral).text}`)
      else if (ts.isNamedExports(statement.exportClause)) names.push(...statement.exportClause.elements.map((e) => e.name.text))
      else names.push(statement.exportClause.name.text)
    } else if (ts.canHaveModifiers(statement) && ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) {
      names.push(ts.isVariableStatement(statement) ? statement.declarationList.declarations.map((d) => d.name.getText(source)).join(',') : ((statement as ts.DeclarationStatement).name?.getText(source) ?? 'default'))
    }
  }
  return names
}

/** Every `@zrkit/...` specifier users can import, with the source module it stands for. */
const published = packages.flatMap((dir) => {
  const pkg = packageJson(dir)
  const entries = tsupEntries(dir)
  return Object.entries(pkg.exports)
    .filter(([subpath]) => subpath !== './package.json')
    .map(([subpath, target]) => {
      const built = typeof target === 'string' ? target : target.import.default
      const entry = /^\.\/dist\/(.+)\.js$/.exec(built)?.[1]
      return { dir, specifier: subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`, entry, source: entry && entries[entry] }
    })
})

describe('package entry points', () => {
  it.each(published.map((p) => [p.specifier, p] as const))('%s is built by tsup from a module that exports something', (_, p) => {
    expect(p.entry, 'exports points into dist/').toBeDefined()
    expect(p.source, `tsup entry "${p.entry}"`).toBeDefined()
    expect(exportedNames(join(root, 'packages', p.dir, p.source!))).not.toEqual([])
  })

  it('every tsup entry is published', () => {
    for (const dir of packages) {
      const entries = Object.keys(tsupEntries(dir))
      expect(entries.sort(), dir).toEqual(published.filter((p) => p.dir === dir).map((p) => p.entry).sort())
    }
  })

  it('private packages are never published and are not built', () => {
    expect([...privateEntries.keys()]).toContain('@zrkit/testkit')
    for (const dir of workspacePackages.filter((d) => !packages.includes(d))) {
      const pkg = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')) as { scripts?: Record<string, string>; files?: unknown }
      expect(pkg.scripts?.build, dir).toBeUndefined()
      expect(pkg.files, dir).toBeUndefined()
    }
  })

  it('no published package ships a test helper: its non-test sources import neither @zrkit/testkit nor vitest', () => {
    const sources = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? sources(join(dir, d.name)) : d.name.endsWith('.ts') && !d.name.endsWith('.test.ts') ? [join(dir, d.name)] : []))
    for (const dir of packages) {
      for (const file of sources(join(root, 'packages', dir, 'src'))) {
        expect(readFileSync(file, 'utf8'), file).not.toMatch(/from '(@zrkit\/testkit[^']*|vitest)'/)
      }
    }
  })

  it('tsconfig paths and vitest aliases name only published entries (or the entries of a private package), each with its source', () => {
    const bySpecifier = new Map([...published.map((p) => [p.specifier, `packages/${p.dir}/${p.source}`] as const), ...privateEntries])
    const paths: Record<string, string[]> = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')).compilerOptions.paths
    for (const [specifier, [target]] of Object.entries(paths)) expect(target, specifier).toBe(bySpecifier.get(specifier))
    const vitestConfig = readFileSync(join(root, 'vitest.config.ts'), 'utf8')
    const aliases = [...vitestConfig.matchAll(/find: \/\^(@zrkit\\\/[^$]+)\$\/, replacement: src\('\.\/([^']+)'\)/g)].map((m) => [m[1]!.replaceAll('\\/', '/'), m[2]!] as const)
    expect(aliases.length).toBeGreaterThan(0)
    for (const [specifier, target] of aliases) expect(target, specifier).toBe(bySpecifier.get(specifier))
  })
})
