/**
 * What the ledger-store benchmark and its child processes share: fast signers (Node's native crypto, so that
 * building a history of 100k sign requests costs the ledger's work, not the client's), a ledger with a
 * one-party keyring and an Ed25519 key, the stores by name, and small statistics helpers.
 */
import { type KeyObject, createPrivateKey, sign as nativeSign } from 'node:crypto'
import { ed25519 } from '@noble/curves/ed25519.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import {
  type Account,
  type EmbeddedLedger,
  type LedgerDatabase,
  type LedgerStore,
  type Message,
  type SignedTx,
  createEmbeddedLedger,
  createZrClient,
  defaultLedgerParams,
  memoryStore,
  privateKeyToAccount,
} from '@zrkit/core'
import { partyResponseBytes, txSignBytes } from '@zrkit/core/internal'
import { fileStore, sqliteStore } from '@zrkit/core/node'

/** The stores compared, by name. */
export type StoreKind = 'memory' | 'sqlite' | 'file'
export const storeKinds: readonly StoreKind[] = ['memory', 'sqlite', 'file']

/** A new store of `kind` in `dir` (unused for memory): SQLite with its defaults (synchronous FULL), the file log with fsync. */
export function openStore(kind: StoreKind, dir: string): LedgerStore | LedgerDatabase {
  if (kind === 'memory') return memoryStore()
  if (kind === 'sqlite') return sqliteStore(dir)
  return fileStore(dir)
}

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url')
const curveN = secp256k1.Point.CURVE().n

/**
 * A ledger account that signs synchronously with Node's OpenSSL (secp256k1, low S), about 10x faster
 * than the JavaScript signer, and builds its own txs at sequences it counts itself.
 */
export type FastAccount = {
  readonly account: Account
  readonly address: string
  /** 64-byte low-S r || s over sha256(bytes). */
  signBytes(bytes: Uint8Array): Uint8Array
  /** Signs `msg` at sequence `sequence` (the caller counts sequences: the ledger applies txs in submission order). */
  tx(chainId: string, sequence: number, msg: Message): SignedTx
}

/** A {@link FastAccount} from a seed (the same key every run). */
export function fastAccount(seed: string): FastAccount {
  const secret = sha256(new TextEncoder().encode(`zrkit-bench:${seed}`))
  const account = privateKeyToAccount(secret)
  const point = secp256k1.getPublicKey(secret, false)
  const key: KeyObject = createPrivateKey({ format: 'jwk', key: { kty: 'EC', crv: 'secp256k1', d: b64url(secret), x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33)) } })
  const signBytes = (bytes: Uint8Array): Uint8Array => {
    const rs = new Uint8Array(nativeSign('sha256', bytes, { key, dsaEncoding: 'ieee-p1363' }))
    const s = BigInt(`0x${Buffer.from(rs.subarray(32)).toString('hex')}`)
    if (s > curveN / 2n) rs.set(Buffer.from((curveN - s).toString(16).padStart(64, '0'), 'hex'), 32)
    return rs
  }
  return {
    account,
    address: account.address,
    signBytes,
    tx(chainId, sequence, msg) {
      const unsigned = { chainId, signer: account.address, publicKey: account.publicKey, sequence, msg }
      return { ...unsigned, signature: signBytes(txSignBytes(unsigned)) }
    },
  }
}

/** An Ed25519 key the benchmark holds itself (the keyring's key), signing with Node's native Ed25519. */
function fastEd25519(seed: string): { publicKey: Uint8Array; sign(message: Uint8Array): Uint8Array } {
  const secret = sha256(new TextEncoder().encode(`zrkit-bench-key:${seed}`))
  const publicKey = ed25519.getPublicKey(secret)
  const key = createPrivateKey({ format: 'jwk', key: { kty: 'OKP', crv: 'Ed25519', d: b64url(secret), x: b64url(publicKey) } })
  return { publicKey, sign: (message) => new Uint8Array(nativeSign(null, message, key)) }
}

/**
 * A ledger ready for sign requests: an owner with a workspace, a one-party keyring and one Ed25519 key
 * (held here), all made by the same txs every run, so that the txs of a history can be signed once, ahead
 * of time, and applied to any fresh ledger built by {@link signWorld}.
 */
export type SignWorld = {
  readonly ledger: EmbeddedLedger
  readonly chainId: string
  /** Sequences of the owner and the party, and the id of the next sign request, once the set-up is done. */
  readonly start: HistoryStart
  /**
   * The txs of history request `i`: the owner's sign request, and with `fulfil` the party's fulfilment of
   * it; with `expire` the request has the shortest TTL the ledger allows ({@link historyTtlMs}) and is closed
   * by expiry instead.
   */
  requestTxs(i: number, mode: HistoryMode): [create: SignedTx] | [create: SignedTx, fulfil: SignedTx]
}

/**
 * How the history's requests close: `fulfil`, by the party (two txs, four signature checks per request), or
 * `expire`, by the ledger clock passing their TTL (one tx, one check): a history four times cheaper to build.
 */
export type HistoryMode = 'fulfil' | 'expire'
/** The TTL of `expire` requests: the ledger's minimum. */
export const historyTtlMs = defaultLedgerParams.minTtlMs

/** Where the history's txs start, after the set-up. */
export type HistoryStart = { readonly ownerSequence: number; readonly partySequence: number; readonly firstRequestId: number; readonly keyId: number }

/** Genesis of the benchmark's chains: the given accounts funded. */
export function genesisFor(chainId: string, funded: readonly FastAccount[]) {
  return { chainId, balances: funded.map((a) => ({ address: a.address, amount: 10n ** 15n })) }
}

/** The payload of history request `i` (a 32-byte message for the Ed25519 key). */
const payloadOf = (i: number) => sha256(new TextEncoder().encode(`bench payload ${i}`))

/** Opens a ledger on `store` and creates the workspace, keyring and key, with the same txs every run. */
export async function signWorld(store: LedgerStore | LedgerDatabase, clock: { now?: () => number; autoTick?: boolean } = {}): Promise<SignWorld> {
  const chainId = 'bench-history'
  const owner = fastAccount('owner')
  const admin = fastAccount('admin')
  const party = fastAccount('party')
  const ledger = await createEmbeddedLedger({ store, genesis: genesisFor(chainId, [owner, admin]), ...clock })
  const { workspace } = await createZrClient({ ledger, account: owner.account }).createWorkspace()
  const { keyring } = await createZrClient({ ledger, account: admin.account }).createKeyring({ description: 'bench', parties: [party.address], partyThreshold: 1, keyRequestFee: 1n, signRequestFee: 1n })
  const sequence = async (a: FastAccount) => (await ledger.query('account', { address: a.address })).sequence
  const key = fastEd25519('key')
  const keyReq = await ledger.submit(owner.tx(chainId, await sequence(owner), { type: 'treasury.NewKeyRequest', workspace, keyring, keyType: 'eddsa-ed25519' }))
  const keyRequestId = keyReq.result.requestId as number
  const keyResult = { publicKey: key.publicKey }
  const partySignature = party.signBytes(partyResponseBytes({ chainId, kind: 'key', requestId: keyRequestId, result: keyResult }))
  const keyDone = await ledger.submit(party.tx(chainId, await sequence(party), { type: 'treasury.FulfilKeyRequest', requestId: keyRequestId, result: keyResult, partySignature }))
  const keyId = keyDone.result.keyId as number
  if (typeof keyId !== 'number') throw new Error(`the bench key request was not fulfilled: ${JSON.stringify(keyDone.result)}`)
  // no sign request yet: the first one made gets id 1
  const start: HistoryStart = { ownerSequence: await sequence(owner), partySequence: await sequence(party), firstRequestId: 1, keyId }
  return {
    ledger,
    chainId,
    start,
    requestTxs(i, mode) {
      const payload = payloadOf(i)
      if (mode === 'expire') return [owner.tx(chainId, start.ownerSequence + i, { type: 'treasury.NewSignRequest', keyId, payloads: [payload], ttlMs: historyTtlMs })]
      const requestId = start.firstRequestId + i
      const result = { signatures: [key.sign(payload)] }
      return [
        owner.tx(chainId, start.ownerSequence + i, { type: 'treasury.NewSignRequest', keyId, payloads: [payload] }),
        party.tx(chainId, start.partySequence + i, {
          type: 'treasury.FulfilSignRequest',
          requestId,
          result,
          partySignature: party.signBytes(partyResponseBytes({ chainId, kind: 'sign', requestId, result })),
        }),
      ]
    },
  }
}

/** The q-quantile of `xs` (nearest rank). */
export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!
}

export const median = (xs: readonly number[]): number => quantile(xs, 0.5)
