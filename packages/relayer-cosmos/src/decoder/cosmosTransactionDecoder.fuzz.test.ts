import { encodeSecp256k1Pubkey, pubkeyToAddress } from '@cosmjs/amino'
import { sha256 } from '@cosmjs/crypto'
import { toBech32 } from '@cosmjs/encoding'
import { Registry, encodePubkey, makeAuthInfoBytes, makeSignBytes, makeSignDoc } from '@cosmjs/proto-signing'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { isZrError } from '@zrkit/core'
import { MsgSend } from 'cosmjs-types/cosmos/bank/v1beta1/tx'
import { SignDoc, TxBody } from 'cosmjs-types/cosmos/tx/v1beta1/tx'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { cosmosTransactionDecoder } from '@zrkit/relayer-cosmos/decoder'

const decoder = cosmosTransactionDecoder()
const SEND = '/cosmos.bank.v1beta1.MsgSend'
const registry = new Registry([[SEND, MsgSend]])
const alice = secp256k1.getPublicKey(secp256k1.Point.Fn.toBytes(0xa11cen), true)
const aliceAddress = pubkeyToAddress(encodeSecp256k1Pubkey(alice), 'cosmos')
const bob = toBech32('cosmos', new Uint8Array(20).fill(0xb0))

const bodyBytes = TxBody.encode(
  TxBody.fromPartial({
    messages: [
      registry.encodeAsAny({ typeUrl: SEND, value: MsgSend.fromPartial({ fromAddress: aliceAddress, toAddress: bob, amount: [{ denom: 'uatom', amount: '1000' }, { denom: 'ibc/ABCD', amount: '12345678901234567890' }] }) }),
      { typeUrl: '/cosmos.staking.v1beta1.MsgDelegate', value: new Uint8Array([10, 3, 97, 98, 99]) },
    ],
    memo: 'fuzz',
    timeoutHeight: 99n,
  }),
).finish()
const authInfoBytes = makeAuthInfoBytes([{ pubkey: encodePubkey(encodeSecp256k1Pubkey(alice)), sequence: 3n }], [{ denom: 'uatom', amount: '5000' }], 200_000, undefined, undefined)
const wrap = (body: Uint8Array, authInfo: Uint8Array) => makeSignBytes(makeSignDoc(body, authInfo, 'cosmoshub-4', 42n))
const valid = wrap(bodyBytes, authInfoBytes)
const msgSendValue = TxBody.decode(bodyBytes).messages[0]!.value

/** Decoding gives a result (whose payload is sha256 of the bytes) or an INVALID_TRANSACTION ZrError: nothing else. */
function attempt(bytes: Uint8Array) {
  let result: ReturnType<typeof decoder.decode>
  try {
    result = decoder.decode({ unsignedTransaction: bytes, keyType: 'ecdsa-secp256k1', publicKey: alice, taproot: false })
  } catch (e) {
    expect(isZrError(e, 'INVALID_TRANSACTION'), `expected INVALID_TRANSACTION, got ${String(e)}`).toBe(true)
    expect((e as { details: string }).details).toMatch(/^expected .+, got .+$/s)
    return 'refused'
  }
  expect(result.payloads).toEqual([sha256(bytes)])
  for (const t of result.transaction.transfers) expect(typeof t.amount === 'bigint' && t.amount >= 0n).toBe(true)
  // an accepted sign doc is canonical: cosmjs re-encodes it to the same bytes
  expect(makeSignBytes(SignDoc.decode(bytes))).toEqual(bytes)
  return 'decoded'
}

type Mutation = { kind: 'flip' | 'set' | 'insert' | 'delete' | 'truncate'; at: number; byte: number; bit: number }
const mutation = fc.record({ kind: fc.constantFrom('flip', 'set', 'insert', 'delete', 'truncate') as fc.Arbitrary<Mutation['kind']>, at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), bit: fc.integer({ min: 0, max: 7 }) })
const mutations = fc.array(mutation, { minLength: 1, maxLength: 3 })

function mutate(bytes: Uint8Array, list: readonly Mutation[]): Uint8Array {
  let b = Array.from(bytes)
  for (const m of list) {
    const at = b.length === 0 ? 0 : m.at % b.length
    if (m.kind === 'flip' && b.length) b[at] = b[at]! ^ (1 << m.bit)
    else if (m.kind === 'set' && b.length) b[at] = m.byte
    else if (m.kind === 'insert') b.splice(at, 0, m.byte)
    else if (m.kind === 'delete' && b.length) b.splice(at, 1)
    else if (m.kind === 'truncate') b = b.slice(0, at)
  }
  return Uint8Array.from(b)
}

describe('fuzz: only a result or INVALID_TRANSACTION', () => {
  it('the unmutated sign doc decodes', () => {
    expect(attempt(valid)).toBe('decoded')
  })

  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => void attempt(bytes)), { numRuns: 300 })
  })

  it('random bytes as body or auth info of a canonical sign doc', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, asBody) => void attempt(asBody ? wrap(bytes, authInfoBytes) : wrap(bodyBytes, bytes))),
      { numRuns: 300 },
    )
  })

  it('mutations and truncations of a valid sign doc', () => {
    fc.assert(fc.property(mutations, (list) => void attempt(mutate(valid, list))), { numRuns: 300 })
  })

  it('mutations of the body, the auth info and a MsgSend inside a re-wrapped sign doc', () => {
    fc.assert(
      fc.property(fc.constantFrom('body', 'authInfo', 'msgSend'), mutations, (where, list) => {
        if (where === 'body') return void attempt(wrap(mutate(bodyBytes, list), authInfoBytes))
        if (where === 'authInfo') return void attempt(wrap(bodyBytes, mutate(authInfoBytes, list)))
        const body = TxBody.encode(TxBody.fromPartial({ ...TxBody.decode(bodyBytes), messages: [{ typeUrl: SEND, value: mutate(msgSendValue, list) }] })).finish()
        attempt(wrap(body, authInfoBytes))
      }),
      { numRuns: 300 },
    )
  })

  it('absurd lengths and endless varints are refused at once', () => {
    const huge = Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3])
    expect(attempt(huge)).toBe('refused')
    expect(attempt(Uint8Array.from([0x20, ...new Array(11).fill(0xff), 0x01]))).toBe('refused')
    expect(attempt(new Uint8Array(64 * 1024).fill(0x80))).toBe('refused')
  })
})
