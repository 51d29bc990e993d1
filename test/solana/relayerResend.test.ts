/**
 * Re-sending a Solana transaction with a priority fee (issue 21, point 2 on Solana), on a real SVM in process
 * (litesvm, test/solana/svm.ts): keys of a 2-of-3 FROST federation, a ledger that runs the Solana decoder, and
 * Alice and Bob's workspace under `tx.value <= 0.01 sol && any(1, [alice, bob]) || all([alice, bob])`.
 *
 * Solana has no account nonce: the same instructions under two blockhashes can both land. So a
 * recent-blockhash transaction is re-sent only once its blockhash has expired without it (the SVM is warped
 * past it, as a congested cluster or slow approvers would leave it), and refused before, with nothing asked
 * of the ledger. A durable-nonce transaction is replaced on the same nonce value: only one of the two can
 * advance it. Every test checks on the SVM that the recipient was paid exactly once.
 */
import { type Key, type RelayEvent, memoryRelayJournal } from '@zrkit/core'
import { type SolanaNetwork, type SolanaRelayer, createSolanaRelayer } from '@zrkit/relayer-solana'
import { solanaTransactionDecoder } from '@zrkit/relayer-solana/decoder'
import { expectZrError as expectCode } from '@zrkit/testkit'
import { ComputeBudgetProgram, Keypair, LAMPORTS_PER_SOL, type PublicKey, SystemProgram, VersionedTransaction } from '@solana/web3.js'
import { base64 } from '@scure/base'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type SvmNetwork, SvmSendError, svmNetwork } from './svm.js'
import { type SolanaWorld, solanaWorld } from './world.js'

const SOL = BigInt(LAMPORTS_PER_SOL)
/** litesvm's fee: 5 000 lamports per signature. */
const FEE_PER_SIGNATURE = 5_000n
const POLICY = 'tx.value <= 0.01 sol && any(1, [alice, bob]) || all([alice, bob])'
const fast = { pollIntervalMs: 5, resendIntervalMs: 20, confirmTimeoutMs: 20_000 }

let w: SolanaWorld
let key: Key
beforeAll(async () => {
  w = await solanaWorld({ transactionDecoders: [solanaTransactionDecoder()], signPolicy: POLICY })
  key = await w.newKey(w.shared)
})
afterAll(async () => {
  await w?.close()
})

/** A relayer for the shared key on `net` (a fresh journal each time), its address funded with 10 SOL. */
async function funded(net: SolanaNetwork & { airdrop: SvmNetwork['airdrop'] }): Promise<SolanaRelayer> {
  const solana = await createSolanaRelayer({ client: w.alice, network: net, keyId: key.id, journal: memoryRelayJournal(), adapter: fast })
  net.airdrop(solana.publicKey, 10n * SOL)
  return solana
}

const balance = async (net: SolanaNetwork, address: PublicKey) => BigInt((await net.getAccountInfo(address, 'confirmed'))?.lamports ?? 0)
const requestCount = async () => (await w.alice.listSignRequests({ limit: 1000 })).items.length
const decode = (signedTx: string) => VersionedTransaction.deserialize(base64.decode(signedTx))
const sendAgain = (net: SolanaNetwork, signedTx: string) => net.sendRawTransaction(base64.decode(signedTx), { skipPreflight: false, preflightCommitment: 'confirmed' })

/** The compute budget a landed transaction sets: its SetComputeUnitPrice and SetComputeUnitLimit values, in order. */
function computeBudget(signedTx: string): { prices: bigint[]; limits: number[] } {
  const { message } = decode(signedTx)
  const prices: bigint[] = []
  const limits: number[] = []
  for (const ix of message.compiledInstructions) {
    if (!message.staticAccountKeys[ix.programIdIndex]!.equals(ComputeBudgetProgram.programId)) continue
    const view = new DataView(ix.data.buffer, ix.data.byteOffset, ix.data.byteLength)
    if (ix.data[0] === 3) prices.push(view.getBigUint64(1, true))
    if (ix.data[0] === 2) limits.push(view.getUint32(1, true))
  }
  return { prices, limits }
}

/** A transfer broadcast into the void (the network loses the send) and not confirmed: it has not landed. */
async function lostTransfer(net: SvmNetwork, solana: SolanaRelayer, to: PublicKey, lamports: bigint, extra: Record<string, unknown> = {}) {
  net.dropSends(1)
  const sent = await solana.transfer({ to, lamports, confirm: false, ...extra })
  expect((await solana.relayer.getRelay({ requestId: sent.requestId })).status).toBe('broadcast')
  expect(net.executed.has(sent.signature)).toBe(false)
  return sent
}

describe('speedUp of a transaction whose blockhash expired', () => {
  it('ends expired, is re-sent with the priority fee asked for, lands once; the request names the original; the policy judged the transfer', async () => {
    const net = svmNetwork()
    const solana = await funded(net)
    const to = Keypair.generate().publicKey
    const sent = await lostTransfer(net, solana, to, 2_000_000n)
    const original = await solana.relayer.getRelay({ requestId: sent.requestId })
    // The chain moves on past the blockhash's last valid block height: the transaction can never land.
    net.advance()
    await expectCode(solana.resume({ requestId: sent.requestId }), 'TX_EXPIRED', /can never land now/)
    expect((await solana.relayer.getRelay({ requestId: sent.requestId })).status).toBe('expired')
    expect(await balance(net, to)).toBe(0n)

    const before = await balance(net, solana.publicKey)
    const events: RelayEvent[] = []
    const result = await solana.speedUp({ requestId: sent.requestId, computeUnitPrice: 50_000n, computeUnitLimit: 10_000, onEvent: (e) => events.push(e) })

    // Paid exactly once, by the replacement; the fee is 5 000 lamports plus 10 000 units x 50 000 micro-lamports.
    expect(await balance(net, to)).toBe(2_000_000n)
    expect(net.executed.has(result.signature)).toBe(true)
    expect(net.executed.has(sent.signature)).toBe(false)
    expect(await balance(net, solana.publicKey)).toBe(before - 2_000_000n - FEE_PER_SIGNATURE - 500n)
    expect(result.requestId).not.toBe(sent.requestId)
    expect(result.receipt).toMatchObject({ signature: result.signature, err: null })
    // The landed transaction: the same transfer, a fresh blockhash, the compute budget asked for (once each).
    const landed = decode(result.signedTx)
    expect(computeBudget(result.signedTx)).toEqual({ prices: [50_000n], limits: [10_000] })
    expect(landed.message.recentBlockhash).not.toBe(decode(sent.signedTx).message.recentBlockhash)
    expect(landed.message.recentBlockhash).toBe((await net.getLatestBlockhash('confirmed')).blockhash)
    // What approvers saw: the relay and transaction it replaces, the priority fee.
    const request = await w.alice.getSignRequest({ id: result.requestId })
    expect(request.metadata).toMatchObject({
      'zrkit.replaces': original.id,
      'zrkit.replacesTx': sent.signature,
      'zrkit.replaceMode': 'speed-up',
      'zrkit.tx.replaces': sent.signature,
      'zrkit.tx.computeUnitPrice': '50000',
      'zrkit.tx.computeUnitLimit': '10000',
      'zrkit.tx.priorityFee': '500',
    })
    expect(Object.values(request.metadata ?? {})).toEqual(expect.arrayContaining(['computeBudget.setComputeUnitPrice 50000 micro-lamports']))
    // A sign-transaction request: the ledger decoded it; the compute budget moves nothing, so the policy saw
    // a 0.002 SOL transfer (Alice alone was enough) and the fee with its priority part.
    expect(request.transaction?.decoded.transfers).toEqual([{ kind: 'transfer', asset: 'native', to: to.toBase58(), amount: 2_000_000n }])
    expect(request.transaction?.decoded.calls).toEqual([])
    expect(request.transaction?.decoded.fields).toMatchObject({ computeUnitPrice: '50000', computeUnitLimit: '10000' })
    expect(request.transaction?.decoded.fee).toBe(FEE_PER_SIGNATURE + 500n)
    expect(request.actionId).toBeUndefined()
    // The journal links them: the replacement names the original, which stays expired (a final status).
    expect((await solana.relayer.getRelay({ requestId: result.requestId })).replaces).toEqual({ relayId: original.id, txid: sent.signature, mode: 'speed-up' })
    expect((await solana.relayer.getRelay({ requestId: sent.requestId })).status).toBe('expired')
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['bumped', 'requested', 'broadcast', 'confirmed']))
    expect(events.find((e) => e.type === 'bumped')).toMatchObject({ relayId: original.id, txid: sent.signature, replacement: (await solana.relayer.getRelay({ requestId: result.requestId })).id, mode: 'speed-up' })
    // The original's signed transaction is refused by the runtime: its blockhash is gone.
    const refused = await sendAgain(net, sent.signedTx).then(() => undefined, (e: unknown) => e)
    expect((refused as SvmSendError).err).toBe('BlockhashNotFound')
    expect(await balance(net, to)).toBe(2_000_000n)
  })

  it("replaces the original's compute budget instructions (never two of each); without a price, raises it (the floor, or the network's recent fees)", async () => {
    const base = svmNetwork()
    let recentFees: { slot: number; prioritizationFee: number }[] = []
    const asked: PublicKey[][] = []
    // The SVM with the RPC's getRecentPrioritizationFees (litesvm keeps no fee history): what the test says.
    const net: SvmNetwork = Object.assign(Object.create(base) as SvmNetwork, {
      getRecentPrioritizationFees: async (accounts: readonly PublicKey[]) => {
        asked.push([...accounts])
        return recentFees
      },
    })
    const solana = await funded(net)
    const to = Keypair.generate().publicKey

    const first = await lostTransfer(base, solana, to, 1_000_000n, { computeUnitPrice: 1_000, computeUnitLimit: 50_000 })
    expect(computeBudget(first.signedTx)).toEqual({ prices: [1_000n], limits: [50_000] })
    base.advance()
    // No recent fees: the floor (10 000) beats the original's 1 000 raised by a quarter; the limit is the original's.
    const floor = await solana.speedUp({ requestId: first.requestId })
    expect(computeBudget(floor.signedTx)).toEqual({ prices: [10_000n], limits: [50_000] })
    expect(decode(floor.signedTx).message.compiledInstructions.length).toBe(3)
    expect(asked.at(-1)!.some((a) => a.equals(solana.publicKey))).toBe(true)
    expect(await balance(base, to)).toBe(1_000_000n)

    // The network's recent fees ask for more: the 75th percentile of them.
    recentFees = [10, 20, 30, 40].map((f, i) => ({ slot: i, prioritizationFee: f * 10_000 }))
    const second = await lostTransfer(base, solana, to, 1_000_000n, { computeUnitPrice: 40_000 })
    base.advance()
    const market = await solana.speedUp({ requestId: second.requestId, computeUnitLimit: 20_000 })
    expect(computeBudget(market.signedTx)).toEqual({ prices: [400_000n], limits: [20_000] })
    // The original's price raised by a quarter when that is the most.
    recentFees = []
    const third = await lostTransfer(base, solana, to, 1_000_000n, { computeUnitPrice: 80_000 })
    base.advance()
    const raised = await solana.speedUp({ requestId: third.requestId })
    expect(computeBudget(raised.signedTx)).toEqual({ prices: [100_000n], limits: [] })
    expect(await balance(base, to)).toBe(3_000_000n)
  })
})

describe('speedUp while the original may still land', () => {
  it('is refused, saying until which block height to wait, and nothing is requested; once the blockhash expired it goes through', async () => {
    const net = svmNetwork()
    const solana = await funded(net)
    const [toSigned, toSent] = [Keypair.generate().publicKey, Keypair.generate().publicKey]
    // One signed and never broadcast (its signatures are public on the ledger: anyone may still send it), one broadcast and lost.
    const { requestId: signedId } = await solana.submit({ instructions: [SystemProgram.transfer({ fromPubkey: solana.publicKey, toPubkey: toSigned, lamports: 3_000_000 })] })
    const signed = await solana.relayer.sign({ requestId: signedId })
    const sent = await lostTransfer(net, solana, toSent, 4_000_000n)
    const requests = await requestCount()

    for (const [requestId, txid] of [[signedId, signed.txid], [sent.requestId, sent.signature]] as const) {
      const record = await solana.relayer.getRelay({ requestId })
      const e = await expectCode(solana.speedUp({ requestId, computeUnitPrice: 50_000n }), 'PREPARE_FAILED', new RegExp(`may still land: .*valid until block height ${record.summary.lastValidBlockHeight}.*Wait until the block height passes ${record.summary.lastValidBlockHeight}`))
      expect(e.context).toMatchObject({ reason: 'may-still-land', txid, blockhash: record.summary.blockhash, lastValidBlockHeight: Number(record.summary.lastValidBlockHeight) })
      expect(record.status).toBe(requestId === signedId ? 'signed' : 'broadcast')
    }
    expect(await requestCount()).toBe(requests)
    expect(await balance(net, toSigned)).toBe(0n)
    expect(await balance(net, toSent)).toBe(0n)

    // Past the last valid block height: the adapter sees that now (the relays were never told they expired).
    net.advance()
    const a = await solana.speedUp({ requestId: signedId, computeUnitPrice: 20_000n })
    const b = await solana.speedUp({ requestId: sent.requestId, computeUnitPrice: 20_000n })
    expect(await requestCount()).toBe(requests + 2)
    expect(await balance(net, toSigned)).toBe(3_000_000n)
    expect(await balance(net, toSent)).toBe(4_000_000n)
    for (const [requestId, replacement] of [[signedId, a], [sent.requestId, b]] as const) {
      expect((await solana.relayer.getRelay({ requestId })).status).toBe('replaced')
      expect(net.executed.has(replacement.signature)).toBe(true)
    }
    // The originals can never land now.
    for (const old of [signed.signedTx, sent.signedTx]) expect(((await sendAgain(net, old).catch((e: unknown) => e)) as SvmSendError).err).toBe('BlockhashNotFound')
    expect(await balance(net, toSigned)).toBe(3_000_000n)
    expect(await balance(net, toSent)).toBe(4_000_000n)
  })

  it('refuses a transaction that landed: confirmed, or sent by someone else', async () => {
    const net = svmNetwork()
    const solana = await funded(net)
    const to = Keypair.generate().publicKey
    const landed = await solana.transfer({ to, lamports: 1_000_000n })
    const requests = await requestCount()
    await expectCode(solana.speedUp({ requestId: landed.requestId }), 'INVALID_INPUT', /is confirmed: only a transaction that was signed and has not landed/)
    // Signed, then sent by someone else (its signatures are public): on chain, though the relay does not know it yet.
    const { requestId } = await solana.submit({ instructions: [SystemProgram.transfer({ fromPubkey: solana.publicKey, toPubkey: to, lamports: 2_000_000 })] })
    const signed = await solana.relayer.sign({ requestId })
    await sendAgain(net, signed.signedTx)
    net.advance()
    const e = await expectCode(solana.speedUp({ requestId }), 'PREPARE_FAILED', /already on chain .*nothing left to replace/)
    expect(e.context).toMatchObject({ reason: 'landed', txid: signed.txid })
    expect(await requestCount()).toBe(requests + 1)
    expect(await balance(net, to)).toBe(3_000_000n)
  })
})

describe('bad fees and cancel', () => {
  it('are typed errors that say what was expected and what arrived; nothing is requested', async () => {
    const net = svmNetwork()
    const solana = await funded(net)
    const to = Keypair.generate().publicKey
    const sent = await lostTransfer(net, solana, to, 1_000_000n)
    net.advance()
    const requestId = sent.requestId
    const requests = await requestCount()
    await expectCode(solana.speedUp({ requestId, computeUnitPrice: -1 }), 'INVALID_INPUT', 'fees.computeUnitPrice: expected an integer of micro-lamports per compute unit in 0..2^64-1 (bigint or safe integer), got -1')
    await expectCode(solana.speedUp({ requestId, computeUnitPrice: 2n ** 64n }), 'INVALID_INPUT', `fees.computeUnitPrice: expected an integer of micro-lamports per compute unit in 0..2^64-1 (bigint or safe integer), got ${2n ** 64n}n`)
    await expectCode(solana.speedUp({ requestId, computeUnitPrice: 1.5 }), 'INVALID_INPUT', /fees\.computeUnitPrice: .* got 1\.5$/)
    await expectCode(solana.speedUp({ requestId, computeUnitPrice: '5' as never }), 'INVALID_INPUT', /fees: expected an object of the chain's fee fields/)
    await expectCode(solana.speedUp({ requestId, computeUnitLimit: 0 }), 'INVALID_INPUT', 'fees.computeUnitLimit: expected an integer of compute units in 1..1400000, got 0')
    await expectCode(solana.speedUp({ requestId, computeUnitLimit: 1_400_001 }), 'INVALID_INPUT', /fees\.computeUnitLimit: .* got 1400001$/)
    await expectCode(solana.relayer.replace({ requestId, mode: 'speed-up', fees: { gasPrice: 1n } }), 'INVALID_INPUT', /fees\.gasPrice: expected computeUnitPrice or computeUnitLimit/)
    // A fee the key cannot pay is refused before approvers are asked.
    const poor = await expectCode(solana.speedUp({ requestId, computeUnitPrice: 2n ** 50n, computeUnitLimit: 1_400_000 }), 'PREPARE_FAILED', /insufficient funds: \S+ has \d+ lamports, the replacement's fee may be up to \d+ lamports/)
    expect(poor.context).toMatchObject({ from: solana.address, maxCost: FEE_PER_SIGNATURE + (2n ** 50n * 1_400_000n + 999_999n) / 1_000_000n })
    // Cancel: nothing can stop a recent-blockhash transaction before it expires, and after there is nothing to cancel.
    await expectCode(solana.relayer.replace({ requestId, mode: 'cancel' }), 'INVALID_INPUT', /mode 'cancel': .*there is nothing to cancel/)
    await expectCode(solana.speedUp({ requestId: 0 }), 'INVALID_INPUT', /requestId: expected a positive integer, got 0/)
    expect(await requestCount()).toBe(requests)
    expect((await solana.relayer.getRelay({ requestId })).status).toBe('broadcast')
    // The relay is still replaceable once the fees are right.
    await solana.speedUp({ requestId, computeUnitPrice: 0 })
    expect(await balance(net, to)).toBe(1_000_000n)
  })
})

describe('durable nonce', () => {
  it('a speed-up takes the same nonce value before it moves (only one can land), and a cancel only advances the nonce', async () => {
    const net = svmNetwork()
    const solana = await funded(net)
    const nonceAccount = Keypair.generate()
    const stop = w.bobApprovesAll() // initializing a nonce account is a call: the policy asks Bob too
    try {
      await solana.createNonceAccount({ nonceAccount })
    } finally {
      stop()
    }
    net.advance() // a nonce can advance only to a newer blockhash
    const to = Keypair.generate().publicKey

    const sent = await lostTransfer(net, solana, to, 5_000_000n, { nonce: { account: nonceAccount.publicKey } })
    const nonceThen = decode(sent.signedTx).message.recentBlockhash
    // Not expired (a nonce transaction waits for ever), yet safe to replace at once: both advance the same nonce value.
    const faster = await solana.speedUp({ requestId: sent.requestId, computeUnitPrice: 30_000n })
    const replacement = decode(faster.signedTx)
    expect(replacement.message.recentBlockhash).toBe(nonceThen)
    expect(Array.from(replacement.message.compiledInstructions[0]!.data.slice(0, 4))).toEqual([4, 0, 0, 0]) // the nonce advance first
    expect(computeBudget(faster.signedTx)).toEqual({ prices: [30_000n], limits: [] })
    expect(await balance(net, to)).toBe(5_000_000n)
    expect((await solana.relayer.getRelay({ requestId: sent.requestId })).status).toBe('replaced')
    // The original can never land now: its nonce value is used up.
    expect(await sendAgain(net, sent.signedTx).then(() => 'landed', () => 'refused')).toBe('refused')
    expect(await balance(net, to)).toBe(5_000_000n)

    net.advance()
    const doomed = await lostTransfer(net, solana, to, 7_000_000n, { nonce: { account: nonceAccount.publicKey } })
    const before = await balance(net, solana.publicKey)
    const cancelled = await solana.relayer.replace({ requestId: doomed.requestId, mode: 'cancel', fees: { computeUnitPrice: 1_000n, computeUnitLimit: 5_000 } })
    const cancel = decode(cancelled.signedTx)
    expect(cancel.message.compiledInstructions.length).toBe(3) // nonce advance, unit limit, unit price: nothing else
    expect((await w.alice.getSignRequest({ id: cancelled.requestId })).transaction?.decoded).toMatchObject({ transfers: [], calls: [] })
    expect(await balance(net, solana.publicKey)).toBe(before - FEE_PER_SIGNATURE - 5n)
    expect(await sendAgain(net, doomed.signedTx).then(() => 'landed', () => 'refused')).toBe('refused')
    expect(await balance(net, to)).toBe(5_000_000n)
    expect((await solana.relayer.getRelay({ requestId: doomed.requestId })).status).toBe('replaced')
  })

  it('a speed-up whose original lands first returns the original (paid once); the replacement ends replaced', async () => {
    const net = svmNetwork()
    const solana = await funded(net)
    const nonceAccount = Keypair.generate()
    const stop = w.bobApprovesAll()
    try {
      await solana.createNonceAccount({ nonceAccount })
    } finally {
      stop()
    }
    net.advance()
    const to = Keypair.generate().publicKey
    const sent = await lostTransfer(net, solana, to, 6_000_000n, { nonce: { account: nonceAccount.publicKey } })
    // The replacement's sends are lost; once it is out (signed and sent once), the original lands instead.
    net.dropSends(1_000_000)
    const sendsBefore = net.sendCount
    const speedUp = solana.speedUp({ requestId: sent.requestId, computeUnitPrice: 40_000n })
    for (let i = 0; net.sendCount === sendsBefore; i++) {
      if (i > 2_000) throw new Error('the replacement was never sent')
      await new Promise((r) => setTimeout(r, 5))
    }
    net.dropSends(0)
    await sendAgain(net, sent.signedTx)
    const result = await speedUp
    expect(result.signature).toBe(sent.signature)
    expect(await balance(net, to)).toBe(6_000_000n)
    expect((await solana.relayer.getRelay({ requestId: sent.requestId })).status).toBe('confirmed')
    const replacement = (await w.alice.listSignRequests({ limit: 1000 })).items.find((r) => r.metadata?.['zrkit.replaces'] !== undefined && r.id > sent.requestId)
    expect(replacement).toBeDefined()
    expect((await solana.relayer.getRelay({ requestId: replacement!.id })).status).toBe('replaced')
  })
})
