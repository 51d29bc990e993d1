/**
 * The party a signing's coordinator does not pick: it holds the signers' shares (FROST) or their result (ECDSA)
 * as a backup and spends no work when the signers' results settle the request (its connector stops it), yet it
 * fulfils the request itself when a signer never gets its result to the ledger.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { type ConnectorEvent, type Key, type Ledger, type SignedTx, ZrError, generateAccount } from '@zrkit/core'
import { createFederation } from '@zrkit/mpc'
import { type OwnerWorld, nobleVerifies, ownerWorld } from '@zrkit/testkit'
import { afterEach, describe, expect, it } from 'vitest'

const timing = { attemptTimeoutMs: 1_000, dkgTimeoutMs: 3_000, pollIntervalMs: 100 }

/** The world's ledger, seen by the parties through a wrapper that counts (and may refuse) their results. */
function partiesLedger(ledger: Ledger, refuseFrom?: string) {
  const posted = new Map<number, string[]>()
  const wrapped: Ledger = {
    get chainId() {
      return ledger.chainId
    },
    async submit(tx: SignedTx) {
      if (tx.msg.type === 'treasury.FulfilSignRequest') {
        const id = tx.msg.requestId
        posted.set(id, [...(posted.get(id) ?? []), tx.signer])
        // this party's results never reach the ledger: as if it went down right after sending its shares
        if (tx.signer === refuseFrom) throw new ZrError('LEDGER_CLOSED', 'The ledger is out of reach.', { details: 'test: this party cannot post' })
      }
      return ledger.submit(tx)
    },
    query: (kind, params) => ledger.query(kind, params),
    subscribe: (filter, listener, options) => ledger.subscribe(filter, listener, options),
    close: () => ledger.close(),
  }
  return { ledger: wrapped, posted }
}

describe.each(['eddsa-ed25519', 'ecdsa-secp256k1'] as const)('the party not picked to sign (2-of-3 federation, %s)', (keyType) => {
  let w: OwnerWorld | undefined
  let stop: (() => Promise<void>) | undefined
  afterEach(async () => {
    await stop?.()
    await w?.ledger.close()
    stop = undefined
    w = undefined
  })

  async function setUp(refuse?: number) {
    const parties = [generateAccount(), generateAccount(), generateAccount()]
    w = await ownerWorld({ chainId: 'zrkit-backup', funded: parties })
    const { ledger, posted } = partiesLedger(w.ledger, refuse === undefined ? undefined : parties[refuse]!.address)
    const events: { party: string; event: ConnectorEvent }[] = []
    const federation = await createFederation({ ledger, parties, threshold: 2, ...timing, onEvent: (party, event) => void events.push({ party, event }) })
    stop = () => federation.stop()
    const keyring = await federation.register(w.client, { description: 'backup', keyRequestFee: 1n, signRequestFee: 1n })
    await federation.start(keyring)
    const key: Key = await w.client.createKey({ workspace: w.workspace, keyring, keyType, timeoutMs: 20_000 })
    return { parties, posted, events, key }
  }

  async function sign(key: Key, i: number) {
    const payload = sha256(new TextEncoder().encode(`backup ${keyType} ${i}`))
    const { requestId } = await w!.client.requestSignature({ keyId: key.id, payloads: [payload] })
    const done = await w!.client.waitForSignRequest({ requestId, timeoutMs: 20_000 })
    expect(done.status).toBe('fulfilled')
    expect(nobleVerifies(key.keyType, key.publicKey, payload, done.signatures[0]!)).toBe(true)
    return done
  }

  it('posts nothing when the two signers fulfil the request: two results per request, the third party stopped by its connector', async () => {
    const { posted, events, key } = await setUp()
    const ids: number[] = []
    for (let i = 0; i < 6; i++) ids.push((await sign(key, i)).id)
    // the backup party's connector sees the request settle and stops it, well within its 250 ms delay
    await new Promise((r) => setTimeout(r, 600))
    for (const id of ids) {
      expect(posted.get(id), `results posted for request ${id}`).toHaveLength(2)
      const skipped = events.filter((e) => e.event.type === 'skipped' && e.event.kind === 'sign' && e.event.requestId === id)
      expect(skipped.map((e) => (e.event as { why: string }).why)).toEqual(['settled on the ledger while this party was working'])
    }
    // no party had a result refused (a post after the request was settled)
    expect(events.filter((e) => e.event.type === 'error' || e.event.type === 'rejected')).toEqual([])
  })

  it('fulfils the request itself when a signer never posts: every request is fulfilled by the other two', async () => {
    const { parties, posted, key } = await setUp(2)
    const silent = parties[2]!.address
    let backedUp = 0
    for (let i = 0; i < 6; i++) {
      const done = await sign(key, i)
      expect(done.responses.map((r) => r.party).sort()).toEqual([parties[0]!.address, parties[1]!.address].sort())
      // the silent party tried to post: it was a signer, so the party not picked fulfilled the request
      if (posted.get(done.id)?.includes(silent)) backedUp++
    }
    // the coordinator rotates with the request id, so the silent party is a signer in some of the six
    expect(backedUp).toBeGreaterThan(0)
  })
})
