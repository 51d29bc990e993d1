/**
 * An EVM relayer left running (issue 21, point 1), on a real anvil of this suite's own: transactions the
 * node drops from its pool, blocks reorganized away, transactions the node refuses as underpriced, nonce
 * gaps, and a transaction whose nonce another one took. Each case is driven with anvil's own controls
 * (`anvil_dropTransaction`, `anvil_rollback`, `evm_setAutomine`, `anvil_setNextBlockBaseFeePerGas`) and
 * judged by the chain: what each recipient received, the account's nonce, and that the key goes on working.
 */
import type { RelayEvent } from '@zrkit/core'
import { expectZrError } from '@zrkit/testkit'
import { type EvmRelayer, createEvmNonceManager, createEvmRelayer } from '@zrkit/relayer-evm'
import { type Address, type Hex, bytesToHex, parseEther, parseGwei, parseTransaction } from 'viem'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type Anvil, startAnvil } from './anvil.js'
import { type EvmWorld, evmWorld } from './world.js'

let anvil: Anvil
const worlds: EvmWorld[] = []
const stops: (() => void)[] = []
beforeAll(async () => {
  anvil = await startAnvil()
})
afterEach(async () => {
  for (const s of stops.splice(0)) s()
  for (const w of worlds.splice(0)) await w.close()
})
afterAll(async () => {
  await anvil?.stop()
})

type Rpc = { request(args: { method: string; params?: unknown[] }): Promise<unknown> }
const rpc = (w: EvmWorld, method: string, ...params: unknown[]) => (w.publicClient as unknown as Rpc).request({ method, params })

let world: EvmWorld
beforeEach(async () => {
  world = await evmWorld(anvil)
  worlds.push(world)
  await rpc(world, 'evm_setAutomine', true)
})

/** A recipient no other test pays. */
const freshRecipient = (): Address => bytesToHex(crypto.getRandomValues(new Uint8Array(20))) as Address

async function fundedRelayer(options: Partial<Parameters<typeof createEvmRelayer>[0]> = {}): Promise<EvmRelayer> {
  const evm = await createEvmRelayer({ client: world.alice, publicClient: world.publicClient, keyId: world.key.id, nonceManager: createEvmNonceManager(), stallAfterMs: 300, ...options })
  await world.fund(evm.address, parseEther('10'))
  return evm
}

/** Resolves once `events` holds one of `type` (polling; the relay runs meanwhile). */
async function eventOf<T extends RelayEvent['type']>(events: RelayEvent[], type: T, timeoutMs = 20_000): Promise<Extract<RelayEvent, { type: T }>> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const e = events.find((x) => x.type === type)
    if (e) return e as Extract<RelayEvent, { type: T }>
    if (Date.now() > end) throw new Error(`no ${type} event within ${timeoutMs} ms; saw ${events.map((x) => x.type).join(', ')}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

const balance = (a: Address) => world.publicClient.getBalance({ address: a })
const nonceOf = (a: Address) => world.publicClient.getTransactionCount({ address: a })

describe('EVM relayer left running: dropped, reorganized, underpriced, gaps and replacements', () => {
  it('a transaction the node drops from its pool is sent again, the same signed bytes, and lands once; the key goes on', async () => {
    const evm = await fundedRelayer()
    stops.push(world.bobApprovesAll())
    const to = freshRecipient()
    await rpc(world, 'evm_setAutomine', false)
    const events: RelayEvent[] = []
    const sending = evm.sendTransaction({ to, value: 1000n, timeoutMs: 30_000, confirmTimeoutMs: 30_000, onEvent: (e) => events.push(e) })
    const broadcast = await eventOf(events, 'broadcast')
    // Evicted (as a full pool or a restarted node would): the node no longer knows it. The relayer may find that and
    // send it again before a query here would (it did once in CI), so the relayer's own finding is the check.
    await rpc(world, 'anvil_dropTransaction', broadcast.txid)
    const again = await eventOf(events, 'rebroadcast')
    expect(again.reason).toBe("it was neither in a block nor in the node's pool")
    expect(again.txid).toBe(broadcast.txid)
    expect(await world.publicClient.getTransaction({ hash: broadcast.txid as Hex })).toBeTruthy() // in the pool again
    await rpc(world, 'evm_mine')
    const result = await sending
    expect(result.hash).toBe(broadcast.txid) // the same transaction, not a new one
    expect(result.receipt!.status).toBe('success')
    await rpc(world, 'evm_setAutomine', true)
    // Paid once; nonce 0 used once; the next transaction takes nonce 1 and lands.
    expect(await balance(to)).toBe(1000n)
    const next = await evm.sendTransaction({ to, value: 1n, timeoutMs: 30_000 })
    expect((await world.publicClient.getTransaction({ hash: next.hash })).nonce).toBe(1)
    expect(await balance(to)).toBe(1001n)
    expect(await nonceOf(evm.address)).toBe(2)
  })

  it('dropped while the relayer was down: recover() sends it again and confirms it', async () => {
    const evm = await fundedRelayer()
    stops.push(world.bobApprovesAll())
    const to = freshRecipient()
    await rpc(world, 'evm_setAutomine', false)
    const sent = await evm.sendTransaction({ to, value: 7n, timeoutMs: 30_000, confirm: false })
    await rpc(world, 'anvil_dropTransaction', sent.hash)
    // A new relayer on the same journal (the process restarted), with automine back on.
    await rpc(world, 'evm_setAutomine', true)
    const events: RelayEvent[] = []
    const restarted = await createEvmRelayer({ client: world.alice, publicClient: world.publicClient, keyId: world.key.id, nonceManager: createEvmNonceManager(), journal: evm.relayer.journal, onEvent: (e) => events.push(e) })
    const { finished, failed } = await restarted.recover({ confirmTimeoutMs: 30_000 })
    expect(failed).toEqual([])
    expect(finished.map((r) => r.hash)).toEqual([sent.hash])
    expect(events.map((e) => e.type)).toContain('rebroadcast')
    expect(await balance(to)).toBe(7n)
    expect(await nonceOf(evm.address)).toBe(1)
  })

  it('confirmations count depth: a block reorganized away sends the transaction again, and it is confirmed once it is deep enough; paid once', async () => {
    const evm = await fundedRelayer({ confirmations: 2 })
    stops.push(world.bobApprovesAll())
    const to = freshRecipient()
    await rpc(world, 'evm_setAutomine', false)
    const events: RelayEvent[] = []
    let settled = false
    const sending = evm.sendTransaction({ to, value: 500n, timeoutMs: 30_000, confirmTimeoutMs: 30_000, onEvent: (e) => events.push(e) }).finally(() => (settled = true))
    const broadcast = await eventOf(events, 'broadcast')
    await rpc(world, 'evm_mine') // in a block: 1 confirmation of 2
    // asked until the node has its receipt (seen once: not found right after evm_mine); no block is mined meanwhile
    expect((await world.publicClient.waitForTransactionReceipt({ hash: broadcast.txid as Hex, pollingInterval: 50, timeout: 5_000 })).status).toBe('success')
    await new Promise((r) => setTimeout(r, 300))
    expect(settled).toBe(false) // one block deep is not enough
    await rpc(world, 'anvil_rollback', 1) // the block is gone, and the transaction with it
    expect(await balance(to)).toBe(0n)
    const again = await eventOf(events, 'rebroadcast')
    expect(again.reason).toMatch(/neither in a block nor in the node's pool|reorganized/)
    await rpc(world, 'evm_mine')
    await rpc(world, 'evm_mine')
    const result = await sending
    expect(result.hash).toBe(broadcast.txid)
    expect(events.filter((e) => e.type === 'confirmed')).toHaveLength(1)
    expect(await balance(to)).toBe(500n)
    expect(await nonceOf(evm.address)).toBe(1)
    await rpc(world, 'evm_setAutomine', true)
  })

  it('checked before approvers are asked: a fee cap below the base fee, and a nonce already used on chain; nothing is requested and no nonce is held', async () => {
    const evm = await fundedRelayer()
    stops.push(world.bobApprovesAll())
    const to = freshRecipient()
    await evm.sendTransaction({ to, value: 1n, timeoutMs: 30_000 }) // nonce 0 used
    const requests = async () => (await world.alice.listSignRequests({ keyId: world.key.id })).items.length
    const before = await requests()
    const base = (await world.publicClient.getBlock()).baseFeePerGas!
    const low = await expectZrError(evm.sendTransaction({ to, value: 1n, maxFeePerGas: base - 1n, maxPriorityFeePerGas: 1n }), 'PREPARE_FAILED')
    expect(low.meta).toMatchObject({ reason: 'fee-below-base-fee', feeCap: base - 1n, baseFee: base })
    expect(low.details).toMatch(/below the current base fee/)
    const used = await expectZrError(evm.sendTransaction({ to, value: 1n, nonce: 0 }), 'PREPARE_FAILED')
    expect(used.meta).toMatchObject({ reason: 'nonce-used', nonce: 0, next: 1 })
    expect(await requests()).toBe(before)
    // nothing held past the chain's count (0 is used on chain; the manager forgets it at its next pick)
    expect(evm.nonceManager.held({ address: evm.address, chainId: evm.chainId }).filter((n) => n >= 1)).toEqual([])
    const next = await evm.sendTransaction({ to, value: 2n, timeoutMs: 30_000 })
    expect((await world.publicClient.getTransaction({ hash: next.hash })).nonce).toBe(1)
  })

  it('refused as underpriced at broadcast (the base fee rose during approval): the relay ends as expired, its nonce is free, the next transaction takes it; nothing is paid twice', async () => {
    const evm = await fundedRelayer()
    const to = freshRecipient()
    const base = (await world.publicClient.getBlock()).baseFeePerGas!
    const first = await evm.submit({ to, value: 3n, maxFeePerGas: base + 1n, maxPriorityFeePerGas: 1n })
    // While Bob thinks, the base fee climbs far above the fee cap.
    await rpc(world, 'anvil_setNextBlockBaseFeePerGas', `0x${parseGwei('500').toString(16)}`)
    await rpc(world, 'evm_mine')
    await world.bob.approveAction({ actionId: first.actionId! })
    const expired = await expectZrError(evm.resume({ requestId: first.requestId, timeoutMs: 30_000 }), 'TX_EXPIRED')
    expect(expired.details).toMatch(/max fee per gas less than block base fee/)
    expect(expired.details).toMatch(/nonce 0 is free/)
    const record = await evm.relayer.getRelay({ requestId: first.requestId })
    expect(record.status).toBe('expired')
    expect(evm.nonceManager.held({ address: evm.address, chainId: evm.chainId })).toEqual([])
    // resume says the same again without sending anything
    await expectZrError(evm.resume({ requestId: first.requestId }), 'TX_EXPIRED')
    // The next transaction takes nonce 0 (its fee estimated from the chain) and lands; the first never does.
    stops.push(world.bobApprovesAll())
    const next = await evm.sendTransaction({ to, value: 4n, timeoutMs: 30_000 })
    expect((await world.publicClient.getTransaction({ hash: next.hash })).nonce).toBe(0)
    expect(await balance(to)).toBe(4n)
    expect(await nonceOf(evm.address)).toBe(1)
  })

  it('a nonce gap says early what it waits for (TX_STALLED names the missing nonce and the relay holding it); once filled, both land', async () => {
    const evm = await fundedRelayer()
    const to = freshRecipient()
    const a = await evm.submit({ to, value: 1n }) // nonce 0, waits for Bob
    const b = await evm.submit({ to, value: 2n }) // nonce 1
    await world.bob.approveAction({ actionId: b.actionId! })
    const events: RelayEvent[] = []
    const started = Date.now()
    const stalled = await expectZrError(evm.resume({ requestId: b.requestId, timeoutMs: 30_000, onEvent: (e) => events.push(e) }), 'TX_STALLED')
    expect(Date.now() - started).toBeLessThan(10_000) // not the 10 minutes of the confirmation default
    expect(stalled.meta).toMatchObject({ waitingFor: 'nonce-gap', missingNonce: 0, heldBy: a.requestId, requestId: b.requestId })
    expect(stalled.details).toMatch(new RegExp(`signature request ${a.requestId}\\)?, requested \\(waiting for approvals`))
    expect(stalled.details).toMatch(/resume\(\{ requestId/)
    expect(events.find((e) => e.type === 'stalled')).toMatchObject({ waitingFor: 'nonce-gap' })
    expect((await evm.relayer.getRelay({ requestId: b.requestId })).status).toBe('broadcast') // resumable, not lost
    // With stalled: 'wait' the relay waits instead; once Bob approves the first, both land.
    const waiting = evm.resume({ requestId: b.requestId, stalled: 'wait', confirmTimeoutMs: 30_000 })
    await world.bob.approveAction({ actionId: a.actionId! })
    const [ra, rb] = await Promise.all([evm.resume({ requestId: a.requestId, timeoutMs: 30_000 }), waiting])
    expect([ra.receipt!.status, rb.receipt!.status]).toEqual(['success', 'success'])
    expect(await balance(to)).toBe(3n)
  })

  it('a transaction whose nonce another one took ends as replaced (TX_REPLACED), and only the other is paid', async () => {
    const evm = await fundedRelayer()
    stops.push(world.bobApprovesAll())
    const to = freshRecipient()
    await rpc(world, 'evm_setAutomine', false)
    const base = (await world.publicClient.getBlock()).baseFeePerGas!
    const first = await evm.sendTransaction({ to, value: 10n, maxFeePerGas: base * 2n, maxPriorityFeePerGas: parseGwei('1'), timeoutMs: 30_000, confirm: false })
    // The same nonce again with fees over 10% higher: the node replaces the first in its pool.
    const second = await evm.sendTransaction({ to, value: 20n, nonce: 0, maxFeePerGas: base * 3n, maxPriorityFeePerGas: parseGwei('2'), timeoutMs: 30_000, confirm: false })
    await rpc(world, 'evm_mine')
    await rpc(world, 'evm_setAutomine', true)
    const replaced = await expectZrError(evm.resume({ requestId: first.requestId, confirmTimeoutMs: 30_000 }), 'TX_REPLACED')
    expect(replaced.details).toMatch(/nonce 0 of .* is used on chain by another transaction/)
    expect((await evm.relayer.getRelay({ requestId: first.requestId })).status).toBe('replaced')
    expect((await evm.resume({ requestId: second.requestId })).receipt!.status).toBe('success')
    expect(await balance(to)).toBe(20n)
    const { replaced: listed } = await evm.relayer.recover()
    expect(listed).toEqual([]) // already final: recover has nothing left to do with it
  })
})

describe('EVM replacements on demand: speedUp and cancel (issue 21, point 2)', () => {
  /** The original: sent with a tip of 1 wei while blocks wait, so it sits in the pool. */
  async function stuck(evm: EvmRelayer, to: Address, value: bigint) {
    await rpc(world, 'evm_setAutomine', false)
    const base = (await world.publicClient.getBlock()).baseFeePerGas!
    return evm.sendTransaction({ to, value, maxFeePerGas: base * 2n, maxPriorityFeePerGas: 1n, timeoutMs: 30_000, confirm: false })
  }

  it('speedUp: the same transaction at higher fees, asked for as a new request that names the original; it replaces the original in the pool and lands, paid once', async () => {
    const evm = await fundedRelayer()
    stops.push(world.bobApprovesAll())
    const to = freshRecipient()
    const original = await stuck(evm, to, 42n)
    const events: RelayEvent[] = []
    const speeding = evm.speedUp({ requestId: original.requestId, timeoutMs: 30_000, confirmTimeoutMs: 30_000, onEvent: (e) => events.push(e) })
    const sent = await eventOf(events, 'broadcast')
    expect(sent.relayId).not.toBe(original.relayId)
    expect(await world.publicClient.getTransaction({ hash: original.hash }).catch(() => null)).toBeNull() // pushed out of the pool
    await rpc(world, 'evm_mine')
    const result = await speeding
    await rpc(world, 'evm_setAutomine', true)
    expect(result.relayId).toBe(sent.relayId)
    const [before, after] = [await world.publicClient.getTransaction({ hash: result.hash }), parseSigned(original.signedTx)]
    expect(before.nonce).toBe(0)
    expect(before.to?.toLowerCase()).toBe(to.toLowerCase())
    expect(before.value).toBe(42n)
    expect(before.maxPriorityFeePerGas! * 10n >= after.maxPriorityFeePerGas! * 11n).toBe(true)
    expect(before.maxFeePerGas! * 10n >= after.maxFeePerGas! * 11n).toBe(true)
    // What the approvers saw: the request names the relay and the transaction it replaces.
    const request = await world.alice.getSignRequest({ id: result.requestId })
    expect(request.metadata).toMatchObject({ 'zrkit.replaces': original.relayId, 'zrkit.replacesTx': original.hash, 'zrkit.replaceMode': 'speed-up', 'zrkit.tx.replaces': original.hash })
    expect(events.find((e) => e.type === 'bumped')).toMatchObject({ relayId: original.relayId, replacement: result.relayId, mode: 'speed-up' })
    const ended = await evm.relayer.getRelay({ requestId: original.requestId })
    expect(ended.status).toBe('replaced')
    expect(ended.reason).toMatch(new RegExp(`replaced by relay ${result.relayId}`))
    expect(await balance(to)).toBe(42n)
    expect(await nonceOf(evm.address)).toBe(1)
  })

  it('cancel: a transfer of 0 to the key itself takes the nonce; the recipient gets nothing and the key goes on', async () => {
    const evm = await fundedRelayer()
    stops.push(world.bobApprovesAll())
    const to = freshRecipient()
    const original = await stuck(evm, to, 99n)
    const events: RelayEvent[] = []
    const cancelling = evm.cancel({ requestId: original.requestId, timeoutMs: 30_000, confirmTimeoutMs: 30_000, onEvent: (e) => events.push(e) })
    await eventOf(events, 'broadcast')
    await rpc(world, 'evm_mine')
    const result = await cancelling
    await rpc(world, 'evm_setAutomine', true)
    const landed = await world.publicClient.getTransaction({ hash: result.hash })
    expect([landed.from.toLowerCase(), landed.to?.toLowerCase(), landed.value, landed.nonce]).toEqual([evm.address.toLowerCase(), evm.address.toLowerCase(), 0n, 0])
    expect((await world.alice.getSignRequest({ id: result.requestId })).metadata?.['zrkit.replaceMode']).toBe('cancel')
    expect((await evm.relayer.getRelay({ requestId: original.requestId })).status).toBe('replaced')
    await expectZrError(evm.resume({ requestId: original.requestId }), 'TX_REPLACED')
    expect(await balance(to)).toBe(0n)
    const next = await evm.sendTransaction({ to, value: 5n, timeoutMs: 30_000 })
    expect((await world.publicClient.getTransaction({ hash: next.hash })).nonce).toBe(1)
    expect(await balance(to)).toBe(5n)
  })

  it('a speed-up whose original lands first (mined while the replacement waited for approval) resolves with the original; paid once', async () => {
    const evm = await fundedRelayer()
    const to = freshRecipient()
    stops.push(world.bobApprovesAll())
    const original = await stuck(evm, to, 7n)
    for (const s of stops.splice(0)) s() // Bob stops approving: the replacement will wait for him
    const speeding = evm.speedUp({ requestId: original.requestId, timeoutMs: 30_000, confirmTimeoutMs: 30_000 })
    const replacementId = await (async () => {
      for (;;) {
        const { items } = await world.alice.listSignRequests({ keyId: world.key.id, status: 'partial' })
        const r = items.find((x) => x.metadata?.['zrkit.replaces'] === original.relayId)
        if (r) return r
        await new Promise((res) => setTimeout(res, 20))
      }
    })()
    await rpc(world, 'evm_mine') // the original lands
    await rpc(world, 'evm_setAutomine', true)
    await world.bob.approveAction({ actionId: replacementId.actionId! })
    const result = await speeding
    expect(result.relayId).toBe(original.relayId)
    expect(result.hash).toBe(original.hash)
    expect(result.receipt!.status).toBe('success')
    const replacement = await evm.relayer.getRelay({ requestId: replacementId.id })
    expect(replacement.status).toBe('replaced')
    expect(await balance(to)).toBe(7n)
  })

  it('refused before anything is requested: fees that do not rise by 10%, a relay that already landed, unknown fee fields', async () => {
    const evm = await fundedRelayer()
    stops.push(world.bobApprovesAll())
    const to = freshRecipient()
    const original = await stuck(evm, to, 1n)
    const sent = parseSigned(original.signedTx)
    const requests = async () => (await world.alice.listSignRequests({ keyId: world.key.id })).items.length
    const before = await requests()
    const low = await expectZrError(evm.speedUp({ requestId: original.requestId, maxFeePerGas: sent.maxFeePerGas! + 1n, maxPriorityFeePerGas: 2n }), 'INVALID_INPUT')
    expect(low.details).toMatch(/at least 10%/)
    await expectZrError(evm.speedUp({ requestId: original.requestId, gasPrice: parseGwei('100') }), 'INVALID_INPUT') // not a field of an EIP-1559 original
    expect(await requests()).toBe(before)
    await rpc(world, 'evm_mine')
    await rpc(world, 'evm_setAutomine', true)
    await evm.resume({ requestId: original.requestId })
    const landed = await expectZrError(evm.cancel({ requestId: original.requestId }), 'INVALID_INPUT')
    expect(landed.details).toMatch(/is confirmed: only a transaction that was signed and has not landed/)
    expect(await requests()).toBe(before)
  })
})

function parseSigned(signedTx: Hex) {
  return parseTransaction(signedTx)
}
