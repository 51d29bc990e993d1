/**
 * Two relayers on one key (two replicas of a service; issue 21, point 3), on a real anvil. Each replica
 * has its own nonce manager and its own journal: they share nothing but the ledger and the chain, as two
 * machines would. (They run in this one process, with one ledger client for Alice, whose messages are
 * numbered in order for any process.) A relayer names its transaction's nonce in the request's metadata
 * (`zrkit.claims`): the other prepares around it, and when both ask for one nonce at the same moment the
 * ledger's order decides, and the later request is withdrawn before anyone approves it.
 */
import { type RelayEvent, isZrError } from '@zrkit/core'
import { type EvmRelayer, createEvmNonceManager, createEvmRelayer } from '@zrkit/relayer-evm'
import { type Address, bytesToHex, parseEther } from 'viem'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type Anvil, startAnvil } from './anvil.js'
import { type EvmWorld, evmWorld } from './world.js'

let anvil: Anvil
const worlds: EvmWorld[] = []
beforeAll(async () => {
  anvil = await startAnvil()
})
afterEach(async () => {
  for (const w of worlds.splice(0)) await w.close()
})
afterAll(async () => {
  await anvil?.stop()
})

const freshRecipient = (): Address => bytesToHex(crypto.getRandomValues(new Uint8Array(20))) as Address

/** Two replicas on the world's key: separate nonce managers and journals. */
async function replicas(w: EvmWorld, events: RelayEvent[]): Promise<[EvmRelayer, EvmRelayer]> {
  const make = () => createEvmRelayer({ client: w.alice, publicClient: w.publicClient, keyId: w.key.id, nonceManager: createEvmNonceManager(), onEvent: (e) => events.push(e) })
  const a = await make()
  const b = await make()
  await w.fund(a.address, parseEther('10'))
  return [a, b]
}

describe('two relayers on one key', () => {
  it('the second replica prepares around the nonce the first one holds in a request waiting for approval; both land, paid once each', async () => {
    const w = await evmWorld(anvil)
    worlds.push(w)
    const events: RelayEvent[] = []
    const [a, b] = await replicas(w, events)
    const to = freshRecipient()
    const first = await a.submit({ to, value: 1n }) // nonce 0, waiting for Bob
    const second = await b.submit({ to, value: 2n }) // b's own nonce manager says 0; the ledger says 0 is taken
    expect([first.summary.nonce, second.summary.nonce]).toEqual(['0', '1'])
    const metadata = async (id: number) => (await w.alice.getSignRequest({ id })).metadata ?? {}
    expect((await metadata(first.requestId))['zrkit.claims']).toBe(`eip155:31337/${a.address.toLowerCase()}/nonce/0`)
    expect((await metadata(second.requestId))['zrkit.claims']).toBe(`eip155:31337/${a.address.toLowerCase()}/nonce/1`)
    await w.bob.approveAction({ actionId: first.actionId! })
    await w.bob.approveAction({ actionId: second.actionId! })
    const [ra, rb] = await Promise.all([a.resume({ requestId: first.requestId, timeoutMs: 30_000 }), b.resume({ requestId: second.requestId, timeoutMs: 30_000 })])
    expect([ra.receipt!.status, rb.receipt!.status]).toEqual(['success', 'success'])
    expect(await w.publicClient.getBalance({ address: to })).toBe(3n)
    expect(await w.publicClient.getTransactionCount({ address: a.address })).toBe(2)
  })

  it('two replicas asking for one nonce at the same moment: the later request is withdrawn before anyone approves it (RELAY_CONFLICT), nothing is signed for it, and its retry takes the next nonce', async () => {
    const w = await evmWorld(anvil)
    worlds.push(w)
    const events: RelayEvent[] = []
    const [a, b] = await replicas(w, events)
    const to = freshRecipient()
    // Started together, both read the ledger before either request exists, so both prepare nonce 0.
    const settled = await Promise.allSettled([a.submit({ to, value: 10n }), b.submit({ to, value: 20n })])
    const prepared = events.filter((e) => e.type === 'prepared').map((e) => (e as Extract<RelayEvent, { type: 'prepared' }>).summary.nonce)
    expect(prepared).toEqual(['0', '0'])
    const won = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []))
    const lost = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []))
    expect(won).toHaveLength(1)
    expect(lost).toHaveLength(1)
    const conflict = lost[0]
    if (!isZrError(conflict, 'RELAY_CONFLICT')) throw new Error(`expected RELAY_CONFLICT, got ${String(conflict)}`, { cause: conflict })
    expect(conflict.meta).toMatchObject({ claim: `eip155:31337/${a.address.toLowerCase()}/nonce/0`, heldBy: won[0]!.requestId })
    expect(conflict.meta.requestId).toBeGreaterThan(won[0]!.requestId)
    // The loser's request is rejected on the ledger, its action revoked by Alice: Bob never had it to approve.
    const withdrawn = await w.alice.getSignRequest({ id: conflict.meta.requestId as number })
    expect(withdrawn.status).toBe('rejected')
    const action = await w.alice.getAction({ id: withdrawn.actionId! })
    expect(action.status).toBe('revoked')
    expect(action.votes.map((v) => v.address)).not.toContain(w.bob.account!.address)
    expect(withdrawn.signatures).toBeUndefined()
    const loser = settled[0]!.status === 'rejected' ? a : b
    expect((await loser.relayer.getRelay({ requestId: withdrawn.id })).status).toBe('rejected')
    // The retry prepares around the live claim and takes nonce 1; both land, each paid once.
    const retry = await loser.submit({ to, value: settled[0]!.status === 'rejected' ? 10n : 20n })
    expect(retry.summary.nonce).toBe('1')
    await w.bob.approveAction({ actionId: won[0]!.actionId! })
    await w.bob.approveAction({ actionId: retry.actionId! })
    const winner = loser === a ? b : a
    await Promise.all([winner.resume({ requestId: won[0]!.requestId, timeoutMs: 30_000 }), loser.resume({ requestId: retry.requestId, timeoutMs: 30_000 })])
    expect(await w.publicClient.getBalance({ address: to })).toBe(30n)
    expect(await w.publicClient.getTransactionCount({ address: a.address })).toBe(2)
  })
})
