/**
 * Network mode end to end, as an operator runs it: `zrkit ledger serve`, `zrkit relay serve` and three
 * `zrkit party start` as five separate OS processes on localhost, the keyring registered with
 * `zrkit keyring register`, and a user's client on its own WebSocket connection. Keys of every key type are
 * generated and used to sign; signatures are checked with noble. SIGTERM stops every process with exit code 0.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { type KeyType, connectLedgerWs, createZrClient, generateAccount, keyTypes } from '@zrkit/core'
import { nobleVerifies, payloadFor } from '@zrkit/testkit'
import { PublicKey, SystemProgram, TransactionMessage } from '@solana/web3.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../../..', import.meta.url))
const bin = join(root, 'packages/cli/src/bin.ts')
const zrkit = (args: string[], env: Record<string, string> = {}) => run(process.execPath, ['--import', 'tsx', bin, ...args, '--log-format', 'json'], { cwd: root, env: { ...process.env, ...env } })

type Proc = { name: string; child: ChildProcess; logs: string[]; exited: Promise<number | null>; firstLine: Promise<string> }
const procs: Proc[] = []

function start(name: string, args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', bin, ...args, '--log-format', 'json'], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const logs: string[] = []
  createInterface({ input: child.stderr! }).on('line', (l) => logs.push(l))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const firstLine = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve)
    exited.then((code) => reject(new Error(`${name} exited with ${code}: ${logs.join('\n')}`)))
  })
  firstLine.catch(() => {}) // awaited where it matters; an exit after the first line is not an error here
  const p = { name, child, logs, exited, firstLine }
  procs.push(p)
  return p
}

/** Resolves when a log line of `p` has `msg` (JSON logs), or rejects after `ms`. */
async function logged(p: Proc, msg: string, ms = 60_000): Promise<void> {
  const until = Date.now() + ms
  while (Date.now() < until) {
    if (p.logs.some((l) => JSON.parse(l).msg === msg)) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`${p.name}: no "${msg}" in ${ms} ms: ${p.logs.join('\n')}`)
}

let dir: string
let ledgerUrl: string
let keyring: string
const user = generateAccount()
const passphrase = 'correct horse battery staple'

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'zrkit-network-'))
  const keyFile = (n: string) => join(dir, `${n}.key`)
  const addresses: Record<string, string> = {}
  for (const n of ['operator', 'p1', 'p2', 'p3']) addresses[n] = (await zrkit(['account', 'new', '--key-file', keyFile(n)])).stdout.trim()
  const genesis = join(dir, 'genesis.json')
  await writeFile(genesis, JSON.stringify({ chainId: 'zrkit-network-test', balances: [...Object.values(addresses), user.address].map((address) => ({ address, amount: '1000000' })), transactionDecoders: ['evm@1', 'solana@1'] }))
  const ledger = start('ledger', ['ledger', 'serve', '--store', join(dir, 'ledger'), '--genesis', genesis, '--port', '0'])
  ledgerUrl = await ledger.firstLine
  const parties = ['p1', 'p2', 'p3'].map((n) => addresses[n]!)
  const relay = start('relay', ['relay', 'serve', '--parties', parties.join(','), '--port', '0'])
  const relayUrl = await relay.firstLine
  keyring = (await zrkit(['keyring', 'register', '--ledger', ledgerUrl, '--key-file', keyFile('operator'), '--parties', parties.join(','), '--threshold', '2', '--key-fee', '1', '--sign-fee', '1'])).stdout.trim()
  expect(keyring).toMatch(/^keyring1/)
  // the parties start together: each waits for the others' announcements on the relay
  const started = ['p1', 'p2', 'p3'].map((n) => start(n, ['party', 'start', '--key-file', keyFile(n), '--shares', join(dir, `${n}-shares`), '--ledger', ledgerUrl, '--relay', relayUrl, '--keyring', keyring], { ZRKIT_PASSPHRASE: passphrase }))
  expect(await Promise.all(started.map((p) => p.firstLine))).toEqual(parties)
  for (const p of started) await logged(p, 'party started')
}, 120_000)

afterAll(async () => {
  for (const p of procs) p.child.kill('SIGKILL')
  await rm(dir, { recursive: true, force: true })
})

describe('network mode: ledger, relay and three parties as separate processes', () => {
  it.each(keyTypes.map((k) => [k] as const))('%s: a key is generated by the parties and a signature request is fulfilled; noble verifies it', async (keyType: KeyType) => {
    const ledger = await connectLedgerWs(ledgerUrl, { WebSocket: WebSocket as never })
    try {
      const client = createZrClient({ ledger, account: user })
      const { workspace } = await client.createWorkspace()
      const { requestId } = await client.requestKey({ workspace, keyring, keyType })
      const { key, request } = await client.waitForKeyRequest({ requestId, timeoutMs: 90_000 })
      expect(request.status).toBe('fulfilled')
      const payload = payloadFor(keyType, `network ${keyType}`)
      const signed = await client.requestSignature({ keyId: key.id, payloads: [payload] })
      const done = await client.waitForSignRequest({ requestId: signed.requestId, timeoutMs: 90_000 })
      expect(nobleVerifies(keyType, key.publicKey, payload, done.signatures[0]!)).toBe(true)
      const status = JSON.parse((await zrkit(['status', '--ledger', ledgerUrl, '--keyring', keyring])).stdout)
      expect(status.keyring).toMatchObject({ address: keyring, threshold: 2, pendingKeyRequests: 0 })
    } finally {
      await ledger.close()
    }
  }, 180_000)

  it('a sign-transaction request: the ledger server decodes a Solana message, the party processes sign what it computed, noble verifies', async () => {
    const ledger = await connectLedgerWs(ledgerUrl, { WebSocket: WebSocket as never })
    try {
      expect((await ledger.query('status', {})).transactionDecoders).toEqual(['evm@1', 'solana@1'])
      const client = createZrClient({ ledger, account: user })
      const { policyId } = await client.createPolicy({ name: 'small alone', participants: { me: user.address }, expression: 'tx.value <= 0.01 sol && me' })
      const { workspace } = await client.createWorkspace({ signPolicyId: policyId })
      const { requestId } = await client.requestKey({ workspace, keyring, keyType: 'eddsa-ed25519' })
      const { key } = await client.waitForKeyRequest({ requestId, timeoutMs: 90_000 })
      const payer = new PublicKey(key.publicKey)
      const message = (lamports: number) =>
        new TransactionMessage({ payerKey: payer, recentBlockhash: PublicKey.unique().toBase58(), instructions: [SystemProgram.transfer({ fromPubkey: payer, toPubkey: PublicKey.unique(), lamports })] }).compileToLegacyMessage().serialize()
      const small = message(5_000_000)
      const signed = await client.requestTransactionSignature({ keyId: key.id, chain: 'solana', unsignedTransaction: small, network: 'localnet' })
      expect(signed.status).toBe('pending')
      const done = await client.waitForSignRequest({ requestId: signed.requestId, timeoutMs: 90_000 })
      expect(done.transaction?.decoded).toMatchObject({ network: 'solana:localnet', transfers: [{ asset: 'native', amount: 5_000_000n }] })
      expect(nobleVerifies('eddsa-ed25519', key.publicKey, small, done.signatures[0]!)).toBe(true)
      // above the limit, with no clause left that could hold: refused at once
      const big = await client.requestTransactionSignature({ keyId: key.id, chain: 'solana', unsignedTransaction: message(20_000_000), network: 'localnet' })
      expect(big.status).toBe('rejected')
    } finally {
      await ledger.close()
    }
  }, 180_000)

  it('SIGTERM stops every process with exit code 0; no secret reached a log line', async () => {
    for (const p of [...procs].reverse()) {
      p.child.kill('SIGTERM')
      expect(await p.exited, `${p.name}: ${p.logs.slice(-5).join('\n')}`).toBe(0)
    }
    const all = procs.flatMap((p) => p.logs).join('\n')
    expect(all).not.toContain(passphrase)
    for (const p of procs) for (const l of p.logs) expect(() => JSON.parse(l)).not.toThrow()
  }, 60_000)
})
