/**
 * Test helper. A STAND-IN for a Cosmos SDK chain, not a chain: no Cosmos node binary runs on this
 * machine, so the relayer's chain interface (account lookup, simulation, broadcast, inclusion) is
 * served by this in-memory object. It keeps accounts (number, sequence, balances), runs on every
 * broadcast the checks a node's ante handler runs for a single-signer transaction (the same offline
 * verification as the tests: signature over the SignDoc rebuilt with THIS chain's id and the account's
 * number, verified by cosmjs and noble; sequence equal to the account's; the key's address equal to each
 * message's signer; fee at least gas x minimum gas price and covered by the balance), stores each
 * accepted TxRaw, and puts the mempool in a block after a few queries. Bank sends move balances; other
 * messages are only recorded. What it cannot tell us (real CheckTx/DeliverTx, gas metering, the RPC
 * wire format) is exercised only against a real node: see the package README.
 */
import { sha256 } from '@cosmjs/crypto'
import { toHex } from '@cosmjs/encoding'
import { type EncodeObject, Registry } from '@cosmjs/proto-signing'
import { type IndexedTx, defaultRegistryTypes } from '@cosmjs/stargate'
import type { CosmosBroadcastResult, CosmosChain, CosmosSimulateParameters } from '@zrkit/relayer-cosmos'
import { messageSigners, verifyTxOffline } from './verifyTx.js'

type AccountState = { accountNumber: bigint; sequence: number; balances: Map<string, bigint> }

export type FakeChainOptions = {
  chainId: string
  prefix: string
  registry?: Registry
  /** e.g. '0.025uatom' (default: no minimum). */
  minGasPrice?: string
  /** A block is made at every n-th `getTx` while the mempool is not empty (default 2). */
  blockAfterPolls?: number
}

export type FakeChain = CosmosChain & {
  readonly chainId: string
  /** Every TxRaw the chain accepted into its mempool, in order. */
  readonly accepted: Uint8Array[]
  /** Every refusal, in order. */
  readonly refused: CosmosBroadcastResult[]
  /** How many times `broadcastTx` was called. */
  broadcastCalls: number
  readonly simulated: CosmosSimulateParameters[]
  fund(address: string, coins: readonly { denom: string; amount: string }[]): void
  balance(address: string, denom: string): bigint
  sequenceOf(address: string): number | undefined
  accountNumberOf(address: string): bigint | undefined
  produceBlock(): void
  readonly height: number
}

/** A stand-in chain (see the file comment). */
export function fakeCosmosChain(options: FakeChainOptions): FakeChain {
  const registry = options.registry ?? new Registry(defaultRegistryTypes)
  const accounts = new Map<string, AccountState>()
  const mempool: { hash: string; tx: Uint8Array; gasWanted: bigint; messages: EncodeObject[] }[] = []
  const included = new Map<string, IndexedTx>()
  const blockAfterPolls = options.blockAfterPolls ?? 2
  const min = options.minGasPrice ? /^(\d+)(?:\.(\d+))?([a-z][a-z0-9/]*)$/.exec(options.minGasPrice) : null
  const minPrice = min ? { num: BigInt(`${min[1]}${min[2] ?? ''}`), den: 10n ** BigInt((min[2] ?? '').length), denom: min[3]! } : undefined
  let nextAccountNumber = 7n
  let height = 100
  let ticks = 0

  const account = (address: string) => {
    let a = accounts.get(address)
    if (!a) accounts.set(address, (a = { accountNumber: nextAccountNumber++, sequence: 0, balances: new Map() }))
    return a
  }
  const refuse = (code: number, log: string): CosmosBroadcastResult => {
    const r = { code, codespace: 'sdk', log }
    chain.refused.push(r)
    return r
  }
  const produceBlock = () => {
    height++
    mempool.splice(0).forEach((t, txIndex) => {
      let code = 0
      let rawLog = ''
      for (const m of t.messages) {
        if (m.typeUrl !== '/cosmos.bank.v1beta1.MsgSend') continue
        const { fromAddress, toAddress, amount } = m.value as { fromAddress: string; toAddress: string; amount: { denom: string; amount: string }[] }
        const from = account(fromAddress)
        if (amount.some((c) => (from.balances.get(c.denom) ?? 0n) < BigInt(c.amount))) {
          code = 5
          rawLog = 'insufficient funds'
          break
        }
        for (const c of amount) {
          from.balances.set(c.denom, from.balances.get(c.denom)! - BigInt(c.amount))
          const to = account(toAddress)
          to.balances.set(c.denom, (to.balances.get(c.denom) ?? 0n) + BigInt(c.amount))
        }
      }
      included.set(t.hash, { height, txIndex, hash: t.hash, code, events: [], rawLog, tx: t.tx as Uint8Array<ArrayBuffer>, msgResponses: [], gasUsed: t.gasWanted / 2n, gasWanted: t.gasWanted })
    })
  }

  const chain: FakeChain = {
    chainId: options.chainId,
    accepted: [],
    refused: [],
    broadcastCalls: 0,
    simulated: [],
    get height() {
      return height
    },
    fund(address, coins) {
      const a = account(address)
      for (const c of coins) a.balances.set(c.denom, (a.balances.get(c.denom) ?? 0n) + BigInt(c.amount))
    },
    balance: (address, denom) => accounts.get(address)?.balances.get(denom) ?? 0n,
    sequenceOf: (address) => accounts.get(address)?.sequence,
    accountNumberOf: (address) => accounts.get(address)?.accountNumber,
    produceBlock,
    getChainId: async () => options.chainId,
    async getAccount(address) {
      const a = accounts.get(address)
      return a ? { accountNumber: a.accountNumber, sequence: a.sequence } : null
    },
    async simulate(params) {
      chain.simulated.push(params)
      return 50_000 + 20_000 * params.messages.length
    },
    async broadcastTx(tx) {
      chain.broadcastCalls++
      const hash = toHex(sha256(tx)).toUpperCase()
      if (included.has(hash) || mempool.some((t) => t.hash === hash)) return refuse(19, 'tx already exists in cache')
      let decoded: Awaited<ReturnType<typeof verifyTxOffline>>['decoded']
      let signers: string[]
      let address: string
      let sequence: bigint
      try {
        // The key and sequence from the transaction; the signature is checked below with the chain's own view.
        const peek = await verifyTxOffline(tx, { chainId: options.chainId, accountNumber: 0n, prefix: options.prefix })
        decoded = peek.decoded
        address = peek.address
        sequence = peek.sequence
        signers = messageSigners(decoded, registry)
      } catch (e) {
        return refuse(2, `tx parse error: ${e instanceof Error ? e.message : String(e)}`)
      }
      const acc = accounts.get(address)
      if (!acc) return refuse(9, `account ${address} not found`)
      if (signers.some((s) => s !== address)) return refuse(8, `pubKey does not match signer address ${signers.find((s) => s !== address)} with signer index: 0`)
      if (sequence !== BigInt(acc.sequence)) return refuse(32, `account sequence mismatch, expected ${acc.sequence}, got ${sequence}: incorrect account sequence`)
      const v = await verifyTxOffline(tx, { chainId: options.chainId, accountNumber: acc.accountNumber, prefix: options.prefix })
      if (!v.valid) return refuse(4, `signature verification failed; please verify account number (${acc.accountNumber}) and chain-id (${options.chainId}): ${v.problems.join(', ')}`)
      const fee = decoded.authInfo.fee
      const gasWanted = fee?.gasLimit ?? 0n
      const paid = new Map((fee?.amount ?? []).map((c) => [c.denom, BigInt(c.amount)]))
      if (minPrice) {
        const required = (gasWanted * minPrice.num + minPrice.den - 1n) / minPrice.den
        if ((paid.get(minPrice.denom) ?? 0n) < required) return refuse(13, `insufficient fees; got: ${fee?.amount.map((c) => c.amount + c.denom).join(',') || '0'} required: ${required}${minPrice.denom}`)
      }
      for (const [denom, amount] of paid) if ((acc.balances.get(denom) ?? 0n) < amount) return refuse(5, `insufficient funds to pay the fee of ${amount}${denom}`)
      // The ante handler's effects: fee taken, sequence incremented; the messages run in the block.
      for (const [denom, amount] of paid) acc.balances.set(denom, acc.balances.get(denom)! - amount)
      acc.sequence++
      mempool.push({ hash, tx, gasWanted, messages: decoded.body.messages.map((m) => ({ typeUrl: m.typeUrl, value: registry.decode(m) })) })
      chain.accepted.push(tx)
      return { code: 0 }
    },
    async getTx(hash) {
      if (mempool.length > 0 && ++ticks >= blockAfterPolls) {
        ticks = 0
        produceBlock()
      }
      return included.get(hash) ?? null
    },
  }
  return chain
}
