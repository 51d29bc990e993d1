// The TypeScript in the READMEs typechecks against the sources: every ```ts block of the root README and
// of each package's README is compiled as its own module, with the repository's compiler options. A
// block may use what an earlier block or the prose set up (`client`, `key`, `ledger`, ...): those names
// are declared below, with the types they have in the READMEs' story.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))

/** The names README blocks use without declaring them, as the READMEs' prose introduces them. */
const CONTEXT = `
declare const ledger: import('@zrkit/core').Ledger
declare const client: import('@zrkit/core').ZrClient
declare const alice: import('@zrkit/core').ZrClient
declare const operator: import('@zrkit/core').ZrClient
declare const p1: import('@zrkit/core').Account, p2: import('@zrkit/core').Account, p3: import('@zrkit/core').Account
declare const workspace: string
declare const passphrase: string
declare const key: import('@zrkit/core').Key
declare const keyId: number
declare const digest: Uint8Array, sighash: Uint8Array, txHash: Uint8Array
declare const rpcUrl: string
// Bitcoin
declare const btc: Awaited<ReturnType<typeof import('@zrkit/relayer-bitcoin').createBitcoinRelayer>>
declare const psbt: import('bitcoinjs-lib').Psbt, partialPsbt: import('bitcoinjs-lib').Psbt
declare const fromAnotherWallet: string
declare const address: string
// Cosmos
declare const cosmos: Awaited<ReturnType<typeof import('@zrkit/relayer-cosmos').createCosmosRelayer>>
declare const validatorAddress: string
declare const amount: { denom: string; amount: string }
// EVM
declare const abi: import('viem').Abi
declare const bytecode: import('viem').Hex
declare const domain: import('viem').TypedDataDomain
declare const types: { Mail: { name: string; type: string }[] }
declare const primaryType: 'Mail'
declare const message: Record<string, unknown>
// Solana
declare const mint: import('@solana/web3.js').PublicKey
declare const to: import('@solana/web3.js').PublicKey, recipient: import('@solana/web3.js').PublicKey
declare const myProgramInstruction: import('@solana/web3.js').TransactionInstruction
declare const instructions: import('@solana/web3.js').TransactionInstruction[]
declare const localKeypair: import('@solana/web3.js').Keypair
declare const manyAccounts: import('@solana/web3.js').PublicKey[]
declare const tx: import('@solana/web3.js').Transaction, transactionFromYourApp: import('@solana/web3.js').Transaction
`

type Block = { readme: string; line: number; code: string; file: string }

function readmes(): string[] {
  const packages = readdirSync(join(root, 'packages'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join(root, 'packages', d.name, 'README.md'))
  return [join(root, 'README.md'), ...packages]
}

/** The ```ts blocks of a README, each a virtual module where its imports resolve as a reader's would. */
function blocks(readme: string): Block[] {
  const text = readFileSync(readme, 'utf8')
  // A package README's imports resolve from the package; the root README's from the demo, which depends on every package.
  const home = readme === join(root, 'README.md') ? join(root, 'examples', 'demo') : dirname(readme)
  const out: Block[] = []
  for (const m of text.matchAll(/^```(?:ts|typescript)\n([\s\S]*?)^```$/gm)) {
    const line = text.slice(0, m.index).split('\n').length + 1
    out.push({ readme: relative(root, readme), line, code: `${m[1]}\nexport {}\n`, file: join(home, `__readme_${out.length}.ts`) })
  }
  return out
}

function typecheck(all: readonly Block[]): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')) } })!
  const context = join(root, 'examples', 'demo', '__readme_context.d.ts')
  const virtual = new Map<string, string>([[context, CONTEXT], ...all.map((b) => [b.file, b.code] as const)])
  const options: ts.CompilerOptions = { ...config.options, noEmit: true, noUnusedLocals: false }
  const host = ts.createCompilerHost(options)
  const getSourceFile = host.getSourceFile.bind(host)
  host.getSourceFile = (name, language, onError, create) => {
    const text = virtual.get(name)
    return text !== undefined ? ts.createSourceFile(name, text, language) : getSourceFile(name, language, onError, create)
  }
  const fileExists = host.fileExists.bind(host)
  host.fileExists = (name) => virtual.has(name) || fileExists(name)
  const readFile = host.readFile.bind(host)
  host.readFile = (name) => virtual.get(name) ?? readFile(name)
  const program = ts.createProgram({ rootNames: [...virtual.keys()], options, host })
  const byFile = new Map(all.map((b) => [b.file, b]))
  const problems: string[] = []
  for (const diagnostic of [...program.getGlobalDiagnostics(), ...program.getOptionsDiagnostics(), ...[...virtual.keys()].flatMap((f) => {
    const source = program.getSourceFile(f)!
    return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]
  })]) {
    const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')
    const block = diagnostic.file && byFile.get(diagnostic.file.fileName)
    if (!block) {
      problems.push(`${diagnostic.file ? relative(root, diagnostic.file.fileName) : 'tsc'}: TS${diagnostic.code} ${text}`)
      continue
    }
    const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start ?? 0)
    problems.push(`${block.readme}:${block.line + line}: TS${diagnostic.code} ${text}`)
  }
  return problems
}

describe('README code', () => {
  const all = readmes().flatMap(blocks)

  it('finds the TypeScript blocks of every README', () => {
    const counted = new Set(all.map((b) => b.readme))
    expect(counted).toContain('README.md')
    expect(counted).toContain('packages/mpc/README.md')
    expect(counted).toContain('packages/core/README.md')
  })

  it('every ```ts block typechecks', { timeout: 180_000 }, () => {
    expect(typecheck(all)).toEqual([])
  })
})
