import { secp256k1 } from '@noble/curves/secp256k1.js'
import { type Message, type SignedTx, createZrClient, isZrError, signTx, txHash } from '@zrkit/core'
import { txSignDigest } from '@zrkit/core/internal'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { type Setup, expectRefused, setup } from '@zrkit/testkit'

/**
 * Authentication of signed transactions by the embedded ledger: signatures, signer keys, replays,
 * sequences, chain ids and malformed messages. Every refused tx must leave the state untouched.
 */

const opened: Setup[] = []
afterEach(async () => {
  for (const s of opened.splice(0)) await s.ledger.close()
})
async function fixture(): Promise<Setup> {
  const s = await setup({ workspace: false, keyring: false })
  opened.push(s)
  return s
}

const N = secp256k1.Point.CURVE().n

function sendMsg(to: string, amount: bigint): Message {
  return { type: 'bank.Send', to, amount }
}

/** A copy of `tx` with `fields` replaced. */
function tamper(tx: SignedTx, fields: Record<string, unknown>): SignedTx {
  return { ...tx, ...fields } as SignedTx
}

describe('tx authentication', () => {
  it('accepts a correctly signed tx: sequence +1, balances move, state hash changes', async () => {
    const s = await fixture()
    const alice = s.owner
    const bob = s.outsider
    const before = s.ledger.stateHash()
    const tx = await signTx(alice.account, { chainId: s.chainId, sequence: 0, msg: sendMsg(bob.address, 7n) })
    const receipt = await s.ledger.submit(tx)
    expect(receipt.hash).toBe(txHash(tx))
    expect(s.ledger.stateHash()).not.toBe(before)
    expect(await s.sequence(alice.address)).toBe(1)
    expect(await s.balance(alice.address)).toBe(1_000_000n - 7n)
    expect(await s.balance(bob.address)).toBe(1_000_000n + 7n)
    expect(await s.ledger.query('tx', { hash: receipt.hash })).toMatchObject({ signer: alice.address, sequence: 0, height: receipt.height })
  })

  it('refuses a signature by another key over the same tx with INVALID_TX_SIGNATURE', async () => {
    const s = await fixture()
    const alice = s.owner
    const bob = s.outsider
    const genuine = await signTx(alice.account, { chainId: s.chainId, sequence: 0, msg: sendMsg(bob.address, 5n) })
    const bySomeoneElse = await bob.account.sign(txSignDigest(genuine))
    const e = await expectRefused(s.ledger, () => s.ledger.submit(tamper(genuine, { signature: bySomeoneElse })), 'INVALID_TX_SIGNATURE', `expected a low-S signature by ${alice.address}`)
    expect(e.shortMessage).toMatch(/does not verify/)
    expect(await s.sequence(alice.address)).toBe(0)
    expect(await s.balance(bob.address)).toBe(1_000_000n)
    // the genuine one still goes through with the same sequence: the refusal consumed nothing
    await s.ledger.submit(genuine)
    expect(await s.balance(bob.address)).toBe(1_000_005n)
  })

  it('refuses a signature over another tx (other amount) with INVALID_TX_SIGNATURE', async () => {
    const s = await fixture()
    const genuine = await signTx(s.owner.account, { chainId: s.chainId, sequence: 0, msg: sendMsg(s.outsider.address, 5n) })
    const forged = tamper(genuine, { msg: sendMsg(s.outsider.address, 500_000n) })
    await expectRefused(s.ledger, () => s.ledger.submit(forged), 'INVALID_TX_SIGNATURE')
    expect(await s.balance(s.outsider.address)).toBe(1_000_000n)
  })

  it('refuses every single flipped bit of the signature with INVALID_TX_SIGNATURE', async () => {
    const s = await fixture()
    const genuine = await signTx(s.owner.account, { chainId: s.chainId, sequence: 0, msg: sendMsg(s.outsider.address, 5n) })
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 7 }), async (index, bit) => {
        const signature = Uint8Array.from(genuine.signature)
        signature[index]! ^= 1 << bit
        await expectRefused(s.ledger, () => s.ledger.submit(tamper(genuine, { signature })), 'INVALID_TX_SIGNATURE')
      }),
      { numRuns: 40 },
    )
    expect(await s.sequence(s.owner.address)).toBe(0)
  })

  it('refuses the high-S twin of a valid signature (no malleability)', async () => {
    const s = await fixture()
    const genuine = await signTx(s.owner.account, { chainId: s.chainId, sequence: 0, msg: sendMsg(s.outsider.address, 5n) })
    const sig = secp256k1.Signature.fromBytes(genuine.signature, 'compact')
    const twin = new secp256k1.Signature(sig.r, N - sig.s).toBytes('compact')
    // the twin is a valid signature for a verifier that allows high S
    expect(secp256k1.verify(twin, txSignDigest(genuine), s.owner.account.publicKey, { prehash: false, lowS: false })).toBe(true)
    await expectRefused(s.ledger, () => s.ledger.submit(tamper(genuine, { signature: twin })), 'INVALID_TX_SIGNATURE', 'low-S')
  })

  it('refuses a signature of the wrong length with INVALID_INPUT', async () => {
    const s = await fixture()
    const genuine = await signTx(s.owner.account, { chainId: s.chainId, sequence: 0, msg: sendMsg(s.outsider.address, 5n) })
    await expectRefused(s.ledger, () => s.ledger.submit(tamper(genuine, { signature: genuine.signature.subarray(0, 63) })), 'INVALID_INPUT', 'expected 64 bytes, got 63 bytes')
    await expectRefused(s.ledger, () => s.ledger.submit(tamper(genuine, { signature: undefined })), 'INVALID_INPUT', 'expected 64 bytes')
  })

  it('refuses a public key that does not belong to the signer with INVALID_TX_SIGNATURE', async () => {
    const s = await fixture()
    const alice = s.owner
    const bob = s.outsider
    // Bob signs with his own key but claims to be Alice: the signature verifies under his key, the address does not match.
    const unsigned = { chainId: s.chainId, signer: alice.address, publicKey: bob.account.publicKey, sequence: 0, msg: sendMsg(bob.address, 1_000n) }
    const signature = await bob.account.sign(txSignDigest(unsigned))
    await expectRefused(s.ledger, () => s.ledger.submit({ ...unsigned, signature }), 'INVALID_TX_SIGNATURE', [`expected the key of ${alice.address}`, `got the key of ${bob.address}`])
    expect(await s.balance(alice.address)).toBe(1_000_000n)
    expect(await s.balance(bob.address)).toBe(1_000_000n)
  })

  it('refuses a public key that is not a curve point with INVALID_TX_SIGNATURE, and a wrong-length key with INVALID_INPUT', async () => {
    const s = await fixture()
    const genuine = await signTx(s.owner.account, { chainId: s.chainId, sequence: 0, msg: sendMsg(s.outsider.address, 5n) })
    const notAPoint = new Uint8Array(33).fill(0xff)
    notAPoint[0] = 0x02
    await expectRefused(s.ledger, () => s.ledger.submit(tamper(genuine, { publicKey: notAPoint })), 'INVALID_TX_SIGNATURE', 'expected a compressed secp256k1 point')
    const uncompressed = secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), false)
    await expectRefused(s.ledger, () => s.ledger.submit(tamper(genuine, { publicKey: uncompressed })), 'INVALID_INPUT', 'expected 33 bytes, got 65 bytes')
  })

  it('refuses a replay of an accepted tx with TX_REPLAYED (hash and height in the error)', async () => {
    const s = await fixture()
    const tx = await signTx(s.owner.account, { chainId: s.chainId, sequence: 0, msg: sendMsg(s.outsider.address, 9n) })
    const receipt = await s.ledger.submit(tx)
    const e = await expectRefused(s.ledger, () => s.ledger.submit(tx), 'TX_REPLAYED', [receipt.hash, `height ${receipt.height}`])
    expect(e.meta).toMatchObject({ hash: receipt.hash, height: receipt.height })
    // a structurally equal copy is the same tx
    const copy: SignedTx = { ...tx, publicKey: Uint8Array.from(tx.publicKey), signature: Uint8Array.from(tx.signature), msg: { ...tx.msg } }
    await expectRefused(s.ledger, () => s.ledger.submit(copy), 'TX_REPLAYED')
    expect(await s.sequence(s.owner.address)).toBe(1)
    expect(await s.balance(s.outsider.address)).toBe(1_000_009n)
  })

  it('refuses a replay even after later txs moved the sequence on', async () => {
    const s = await fixture()
    const first = await signTx(s.owner.account, { chainId: s.chainId, sequence: 0, msg: sendMsg(s.outsider.address, 1n) })
    await s.ledger.submit(first)
    for (let seq = 1; seq <= 3; seq++) await s.ledger.submit(await signTx(s.owner.account, { chainId: s.chainId, sequence: seq, msg: sendMsg(s.outsider.address, 1n) }))
    await expectRefused(s.ledger, () => s.ledger.submit(first), 'TX_REPLAYED')
    expect(await s.sequence(s.owner.address)).toBe(4)
  })

  it('refuses a sequence that is too high with SEQUENCE_MISMATCH (expected and got)', async () => {
    const s = await fixture()
    const tx = await signTx(s.owner.account, { chainId: s.chainId, sequence: 1, msg: sendMsg(s.outsider.address, 5n) })
    const e = await expectRefused(s.ledger, () => s.ledger.submit(tx), 'SEQUENCE_MISMATCH', `expected sequence 0 for ${s.owner.address}, got 1`)
    expect(e.meta).toMatchObject({ expected: 0, got: 1, address: s.owner.address })
    const far = await signTx(s.owner.account, { chainId: s.chainId, sequence: 1_000, msg: sendMsg(s.outsider.address, 5n) })
    await expectRefused(s.ledger, () => s.ledger.submit(far), 'SEQUENCE_MISMATCH', 'got 1000')
    expect(await s.sequence(s.owner.address)).toBe(0)
  })

  it('refuses a sequence that is too low with SEQUENCE_MISMATCH (a new tx, not a replay)', async () => {
    const s = await fixture()
    for (let seq = 0; seq < 2; seq++) await s.ledger.submit(await signTx(s.owner.account, { chainId: s.chainId, sequence: seq, msg: sendMsg(s.outsider.address, 1n) }))
    const stale = await signTx(s.owner.account, { chainId: s.chainId, sequence: 0, msg: sendMsg(s.outsider.address, 2n) })
    const e = await expectRefused(s.ledger, () => s.ledger.submit(stale), 'SEQUENCE_MISMATCH', 'expected sequence 2')
    expect(e.meta).toMatchObject({ expected: 2, got: 0 })
    const justBelow = await signTx(s.owner.account, { chainId: s.chainId, sequence: 1, msg: sendMsg(s.outsider.address, 3n) })
    const e2 = await expectRefused(s.ledger, () => s.ledger.submit(justBelow), 'SEQUENCE_MISMATCH')
    expect(e2.meta).toMatchObject({ expected: 2, got: 1 })
    expect(await s.balance(s.outsider.address)).toBe(1_000_002n)
  })

  it('refuses a sequence that is not a non-negative integer with INVALID_INPUT', async () => {
    const s = await fixture()
    for (const [sequence, details] of [[-1, 'expected an integer'], [0.5, 'expected an integer'], [Number.NaN, 'NaN']] as const) {
      const unsigned = { chainId: s.chainId, signer: s.owner.address, publicKey: s.owner.account.publicKey, sequence: 0, msg: sendMsg(s.outsider.address, 1n) }
      const signature = await s.owner.account.sign(txSignDigest(unsigned))
      await expectRefused(s.ledger, () => s.ledger.submit({ ...unsigned, sequence, signature }), 'INVALID_INPUT', details)
    }
  })

  it('refuses a tx for another chain with CHAIN_ID_MISMATCH', async () => {
    const s = await fixture()
    const tx = await signTx(s.owner.account, { chainId: 'zrkit-other', sequence: 0, msg: sendMsg(s.outsider.address, 5n) })
    await expectRefused(s.ledger, () => s.ledger.submit(tx), 'CHAIN_ID_MISMATCH', `expected chain id "${s.chainId}", got "zrkit-other"`)
    // re-labelling a tx signed for another chain does not help: the chain id is signed
    await expectRefused(s.ledger, () => s.ledger.submit(tamper(tx, { chainId: s.chainId })), 'INVALID_TX_SIGNATURE')
    await expectRefused(s.ledger, () => s.ledger.submit(tamper(tx, { chainId: '' })), 'INVALID_INPUT', 'expected a string of 1..64')
    expect(await s.sequence(s.owner.address)).toBe(0)
  })

  it('refuses a memo changed after signing, and an over-long memo', async () => {
    const s = await fixture()
    const tx = await signTx(s.owner.account, { chainId: s.chainId, sequence: 0, msg: sendMsg(s.outsider.address, 5n), memo: 'rent' })
    await expectRefused(s.ledger, () => s.ledger.submit(tamper(tx, { memo: 'rent x2' })), 'INVALID_TX_SIGNATURE')
    const long = await signTx(s.owner.account, { chainId: s.chainId, sequence: 0, msg: sendMsg(s.outsider.address, 5n), memo: 'm'.repeat(257) })
    await expectRefused(s.ledger, () => s.ledger.submit(long), 'INVALID_INPUT', 'expected a string of 0..256')
    await s.ledger.submit(tx)
  })
})

describe('malformed messages', () => {
  const signed = async (s: Setup, msg: unknown) => signTx(s.owner.account, { chainId: s.chainId, sequence: await s.sequence(s.owner.address), msg: msg as Message })

  it('refuses an unknown message type with UNKNOWN_MESSAGE', async () => {
    const s = await fixture()
    const tx = await signed(s, { type: 'bank.Burn', amount: 5n })
    await expectRefused(s.ledger, () => s.ledger.submit(tx), 'UNKNOWN_MESSAGE', ['got "bank.Burn"', 'bank.Send'])
  })

  it.each(['toString', 'constructor', 'hasOwnProperty', 'valueOf', '__proto__', 'toLocaleString'])('refuses the inherited name %j as a message type with UNKNOWN_MESSAGE', async (type) => {
    const s = await fixture()
    const tx = await signed(s, { type })
    await expectRefused(s.ledger, () => s.ledger.submit(tx), 'UNKNOWN_MESSAGE', `got ${JSON.stringify(type)}`)
    expect(await s.sequence(s.owner.address)).toBe(0)
  })

  it('refuses a message without a type, and a missing message, with INVALID_INPUT', async () => {
    const s = await fixture()
    await expectRefused(s.ledger, async () => s.ledger.submit(await signed(s, { to: s.outsider.address, amount: 1n })), 'INVALID_INPUT', 'a message object with a type')
    await expectRefused(s.ledger, async () => s.ledger.submit(await signed(s, { type: 7 })), 'INVALID_INPUT', 'a message object with a type')
    const tx = await signed(s, sendMsg(s.outsider.address, 1n))
    await expectRefused(s.ledger, () => s.ledger.submit(tamper(tx, { msg: undefined })), 'INVALID_INPUT', 'a message object with a type')
    await expectRefused(s.ledger, () => s.ledger.submit(null as unknown as SignedTx), 'INVALID_INPUT', 'a signed transaction object')
  })

  it('refuses messages with missing or mistyped fields with INVALID_INPUT', async () => {
    const s = await fixture()
    const to = s.outsider.address
    const cases: [unknown, string][] = [
      [{ type: 'bank.Send', to }, 'expected a positive bigint'],
      [{ type: 'bank.Send', to, amount: 5 }, 'got number 5'],
      [{ type: 'bank.Send', to, amount: 0n }, 'got 0n'],
      [{ type: 'bank.Send', to, amount: -3n }, 'got -3n'],
      [{ type: 'treasury.FulfilKeyRequest', result: { rejectReason: 'x' }, partySignature: new Uint8Array(64) }, 'expected an integer in 1..'],
      [{ type: 'treasury.NewSignRequest', payloads: [new Uint8Array(32)] }, 'expected an integer in 1..'],
      [{ type: 'identity.NewKeyring', parties: [to], partyThreshold: 1, keyRequestFee: 0n, signRequestFee: 0n }, 'expected a string of 0..512'],
      [{ type: 'identity.NewKeyring', description: 'k', partyThreshold: 1, keyRequestFee: 0n, signRequestFee: 0n }, 'a list of 1..64 addresses'],
      [{ type: 'policy.NewPolicy', participants: { a: to }, expression: 'a' }, 'expected a string of 1..128'],
      [{ type: 'policy.ApproveAction' }, 'expected an integer in 1..'],
    ]
    for (const [msg, details] of cases) {
      await expectRefused(s.ledger, async () => s.ledger.submit(await signed(s, msg)), 'INVALID_INPUT', details)
    }
    expect(await s.sequence(s.owner.address)).toBe(0)
  })

  it('refuses a missing address field with INVALID_ADDRESS', async () => {
    const s = await fixture()
    await expectRefused(s.ledger, async () => s.ledger.submit(await signed(s, { type: 'bank.Send', amount: 5n })), 'INVALID_ADDRESS', 'got undefined')
    await expectRefused(s.ledger, async () => s.ledger.submit(await signed(s, { type: 'bank.Send', to: 'keyring1qqqq', amount: 5n })), 'INVALID_ADDRESS')
  })
})

describe('client sequencing', () => {
  it('keeps consecutive sequences over many concurrent sends', async () => {
    const s = await fixture()
    const n = 30
    const receipts = await Promise.all(Array.from({ length: n }, (_, i) => s.owner.client.send({ to: s.outsider.address, amount: BigInt(i + 1) })))
    const records = await Promise.all(receipts.map((r) => s.ledger.query('tx', { hash: r.hash })))
    expect(records.map((r) => r!.sequence)).toEqual(Array.from({ length: n }, (_, i) => i))
    // applied in call order, one entry each
    const heights = receipts.map((r) => r.height)
    expect(heights).toEqual([...heights].sort((a, b) => a - b))
    expect(new Set(heights).size).toBe(n)
    expect(await s.sequence(s.owner.address)).toBe(n)
    expect(await s.balance(s.outsider.address)).toBe(1_000_000n + BigInt((n * (n + 1)) / 2))
  })

  it('shares one sequence between two clients of the same account, and skips refused messages', async () => {
    const s = await fixture()
    const other = createZrClient({ ledger: s.ledger, account: s.owner.account })
    const results = await Promise.allSettled([
      s.owner.client.send({ to: s.outsider.address, amount: 1n }),
      other.send({ to: s.outsider.address, amount: 2n }),
      s.owner.client.send({ to: s.outsider.address, amount: 0n }), // refused: amount must be positive
      other.send({ to: s.outsider.address, amount: 4n }),
      s.owner.client.send({ to: s.outsider.address, amount: 10_000_000n }), // refused: balance
      other.send({ to: s.outsider.address, amount: 8n }),
    ])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled'])
    expect(isZrError((results[2] as PromiseRejectedResult).reason, 'INVALID_INPUT')).toBe(true)
    expect(isZrError((results[4] as PromiseRejectedResult).reason, 'INSUFFICIENT_BALANCE')).toBe(true)
    const seqs = await Promise.all(
      results.filter((r) => r.status === 'fulfilled').map(async (r) => (await s.ledger.query('tx', { hash: (r as PromiseFulfilledResult<{ hash: string }>).value.hash }))!.sequence),
    )
    expect(seqs).toEqual([0, 1, 2, 3])
    expect(await s.balance(s.outsider.address)).toBe(1_000_015n)
  })

  it('recovers once when another sender took the sequence', async () => {
    const s = await fixture()
    await s.owner.client.send({ to: s.outsider.address, amount: 1n }) // the client now expects sequence 1
    // another process, same account, takes sequence 1 with a different message
    await s.ledger.submit(await signTx(s.owner.account, { chainId: s.chainId, sequence: 1, msg: sendMsg(s.outsider.address, 2n) }))
    const receipt = await s.owner.client.send({ to: s.outsider.address, amount: 1n })
    expect((await s.ledger.query('tx', { hash: receipt.hash }))!.sequence).toBe(2)
    expect(await s.sequence(s.owner.address)).toBe(3)
    expect(await s.balance(s.outsider.address)).toBe(1_000_004n)
  })
})
