import { encodeSecp256k1Pubkey, pubkeyToAddress } from '@cosmjs/amino'
import { sha256 as cosmjsSha256 } from '@cosmjs/crypto'
import { toBech32 } from '@cosmjs/encoding'
import { type EncodeObject, Registry, encodePubkey, makeAuthInfoBytes, makeSignBytes, makeSignDoc } from '@cosmjs/proto-signing'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { bech32m } from '@scure/base'
import { isZrError } from '@zrkit/core'
import { MsgExec } from 'cosmjs-types/cosmos/authz/v1beta1/tx'
import { MsgSend } from 'cosmjs-types/cosmos/bank/v1beta1/tx'
import { MsgDelegate } from 'cosmjs-types/cosmos/staking/v1beta1/tx'
import { SignMode } from 'cosmjs-types/cosmos/tx/signing/v1beta1/signing'
import { AuthInfo, SignDoc, TxBody } from 'cosmjs-types/cosmos/tx/v1beta1/tx'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { cosmosTransactionDecoder } from '@zrkit/relayer-cosmos/decoder'
import { cosmosAdapter } from '../cosmosAdapter.js'

const decoder = cosmosTransactionDecoder()
const SEND = '/cosmos.bank.v1beta1.MsgSend'
const EXEC = '/cosmos.authz.v1beta1.MsgExec'
const DELEGATE = '/cosmos.staking.v1beta1.MsgDelegate'
const registry = new Registry([
  [SEND, MsgSend],
  [EXEC, MsgExec],
  [DELEGATE, MsgDelegate],
])
const N = secp256k1.Point.CURVE().n

const keyOf = (secret: bigint) => secp256k1.getPublicKey(secp256k1.Point.Fn.toBytes(secret), true)
const alice = keyOf(0xa11cen)
const mallory = keyOf(0xbadn)
const addressOf = (publicKey: Uint8Array, prefix = 'cosmos') => pubkeyToAddress(encodeSecp256k1Pubkey(publicKey), prefix)
const aliceAddress = addressOf(alice)
const bob = toBech32('cosmos', new Uint8Array(20).fill(0xb0))

type Coin = { denom: string; amount: string }
type Build = {
  messages?: EncodeObject[]
  memo?: string
  timeoutHeight?: bigint
  signer?: Uint8Array
  signers?: Uint8Array[]
  sequence?: bigint
  fee?: Coin[]
  gas?: number
  granter?: string
  payer?: string
  signMode?: SignMode
  chainId?: string
  accountNumber?: bigint
  bodyBytes?: Uint8Array
  authInfoBytes?: Uint8Array
}

const send = (from: string, to: string, amount: Coin[]): EncodeObject => ({ typeUrl: SEND, value: MsgSend.fromPartial({ fromAddress: from, toAddress: to, amount }) })

/** Sign bytes built the way cosmjs (and the relayer) builds them: the oracle. */
function build(o: Build = {}): Uint8Array {
  const bodyBytes = o.bodyBytes ?? registry.encodeTxBody({ messages: o.messages ?? [send(aliceAddress, bob, [{ denom: 'uatom', amount: '1000' }])], memo: o.memo ?? '', ...(o.timeoutHeight !== undefined ? { timeoutHeight: o.timeoutHeight } : {}) })
  const signers = (o.signers ?? [o.signer ?? alice]).map((k) => ({ pubkey: encodePubkey(encodeSecp256k1Pubkey(k)), sequence: o.sequence ?? 7n }))
  const authInfoBytes = o.authInfoBytes ?? makeAuthInfoBytes(signers, o.fee ?? [{ denom: 'uatom', amount: '5000' }], o.gas ?? 200_000, o.granter, o.payer, o.signMode ?? SignMode.SIGN_MODE_DIRECT)
  return makeSignBytes(makeSignDoc(bodyBytes, authInfoBytes, o.chainId ?? 'cosmoshub-4', o.accountNumber ?? 42n))
}

const decode = (bytes: Uint8Array, over: Partial<Parameters<typeof decoder.decode>[0]> = {}) =>
  decoder.decode({ unsignedTransaction: bytes, keyType: 'ecdsa-secp256k1', publicKey: alice, taproot: false, ...over })

/** Asserts a refusal: INVALID_TRANSACTION, for the chain, naming the field, saying what was expected and what arrived. */
function refused(fn: () => unknown, field?: string | RegExp, details?: RegExp) {
  let error: unknown
  try {
    fn()
  } catch (e) {
    error = e
  }
  expect(isZrError(error, 'INVALID_TRANSACTION'), `expected INVALID_TRANSACTION, got ${String(error)}`).toBe(true)
  if (!isZrError(error, 'INVALID_TRANSACTION')) return
  expect(error.shortMessage).toBe('Invalid Cosmos transaction.')
  expect(error.details).toMatch(/^expected .+, got .+$/s)
  expect(error.context.chain).toBe('cosmos')
  if (field !== undefined) expect(error.context.field).toMatch(typeof field === 'string' ? new RegExp(`^${field.replace(/[.[\]()]/g, '\\$&')}$`) : field)
  if (details) expect(error.details).toMatch(details)
  return error
}

// Hand-written protobuf for encodings cosmjs never writes.
const varint = (v: bigint | number) => {
  let x = BigInt(v)
  const out: number[] = []
  do {
    const b = Number(x & 0x7fn)
    x >>= 7n
    out.push(x > 0n ? b | 0x80 : b)
  } while (x > 0n)
  return Uint8Array.from(out)
}
const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) out.set(p, (at += p.length) - p.length)
  return out
}
const utf8 = (s: string) => new TextEncoder().encode(s)
const len = (field: number, bytes: Uint8Array | string) => {
  const b = typeof bytes === 'string' ? utf8(bytes) : bytes
  return cat(varint((field << 3) | 2), varint(b.length), b)
}
const num = (field: number, v: bigint | number) => cat(varint(field << 3), varint(v))
const any = (typeUrl: string, value: Uint8Array) => cat(len(1, typeUrl), value.length ? len(2, value) : new Uint8Array(0))
const coin = (denom: string, amount: string) => cat(len(1, denom), len(2, amount))
const msgSendBytes = (from: string, to: string, coins: Uint8Array[]) => cat(len(1, from), len(2, to), ...coins.map((c) => len(3, c)))
const bodyOf = (...messages: Uint8Array[]) => cat(...messages.map((m) => len(1, m)))
const defaultAuthInfo = (): Uint8Array => makeAuthInfoBytes([{ pubkey: encodePubkey(encodeSecp256k1Pubkey(alice)), sequence: 7n }], [{ denom: 'uatom', amount: '5000' }], 200_000, undefined, undefined)
const signDocOf = (body: Uint8Array, authInfo: Uint8Array = defaultAuthInfo(), chainId = 'cosmoshub-4', accountNumber = 42n) => makeSignBytes(makeSignDoc(body, authInfo, chainId, accountNumber))

describe('cosmosTransactionDecoder', () => {
  it('is the cosmos@1 decoder, without native units', () => {
    expect(decoder.chain).toBe('cosmos')
    expect(decoder.version).toBe(1)
    expect(decoder.nativeUnits).toEqual({})
  })

  it('reads a bank send: payload sha256 of the sign bytes, the transfer, fee and fields', () => {
    const bytes = build({ memo: 'hello', timeoutHeight: 1234n })
    const { payloads, transaction } = decode(bytes)
    expect(payloads).toEqual([cosmjsSha256(bytes)])
    expect(transaction).toEqual({
      chain: 'cosmos',
      decoder: 'cosmos@1',
      network: 'cosmos:cosmoshub-4',
      format: 'sign-doc',
      from: aliceAddress,
      transfers: [{ kind: 'transfer', asset: 'uatom', to: bob, amount: 1000n }],
      calls: [],
      fee: 5000n,
      feeAsset: 'uatom',
      fields: { chainId: 'cosmoshub-4', accountNumber: '42', sequence: '7', gasLimit: '200000', memo: 'hello', timeoutHeight: '1234' },
    })
  })

  it('takes the key compressed or uncompressed', () => {
    const bytes = build()
    const uncompressed = secp256k1.Point.fromBytes(alice).toBytes(false)
    expect(decode(bytes, { publicKey: uncompressed })).toEqual(decode(bytes))
  })

  it('property: for random sign docs built with cosmjs, the payload is sha256(makeSignBytes) and the transfers, fee and fields match', () => {
    const denom = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9/:._-]{2,24}$/)
    const amount = fc.bigInt(0n, (1n << 256n) - 1n)
    const coins = fc.array(fc.record({ denom, amount }), { minLength: 1, maxLength: 3 })
    const recipient = fc.oneof(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.uint8Array({ minLength: 32, maxLength: 32 }))
    const message = fc.oneof(
      fc.record({ kind: fc.constant('send' as const), to: recipient, coins }),
      fc.record({ kind: fc.constant('self' as const), coins }),
      fc.record({ kind: fc.constant('delegate' as const), coins }),
    )
    fc.assert(
      fc.property(
        fc.record({
          secret: fc.bigInt(1n, N - 1n),
          uncompressed: fc.boolean(),
          prefix: fc.constantFrom('cosmos', 'osmo', 'zen', 'neutron', 'celestia', 'inj'),
          chainId: fc.stringMatching(/^[-_.a-zA-Z0-9]{1,50}$/),
          accountNumber: fc.bigInt(0n, (1n << 64n) - 1n),
          sequence: fc.bigInt(0n, (1n << 64n) - 1n),
          gas: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
          fee: fc.option(fc.record({ denom, amount }), { nil: undefined }),
          memo: fc.string({ unit: 'grapheme', maxLength: 40 }),
          timeoutHeight: fc.option(fc.bigInt(1n, (1n << 64n) - 1n), { nil: undefined }),
          messages: fc.array(message, { minLength: 1, maxLength: 4 }),
        }),
        (t) => {
          const key = keyOf(t.secret)
          const from = addressOf(key, t.prefix)
          const hasSend = t.messages.some((m) => m.kind !== 'delegate')
          const encodeObjects: EncodeObject[] = []
          const transfers: unknown[] = []
          const calls: unknown[] = []
          for (const m of t.messages) {
            const amount = m.coins.map((c) => ({ denom: c.denom, amount: c.amount.toString() }))
            if (m.kind === 'delegate') {
              encodeObjects.push({ typeUrl: DELEGATE, value: MsgDelegate.fromPartial({ delegatorAddress: from, validatorAddress: toBech32(`${t.prefix}valoper`, new Uint8Array(20).fill(3)), amount: amount[0] }) })
              calls.push({ to: DELEGATE, value: 0n })
            } else {
              const to = m.kind === 'self' ? from : toBech32(t.prefix, m.to)
              encodeObjects.push(send(from, to, amount))
              if (m.kind === 'send') for (const c of m.coins) transfers.push({ kind: 'transfer', asset: c.denom, to, amount: c.amount })
            }
          }
          const signBytes = build({
            messages: encodeObjects,
            memo: t.memo,
            ...(t.timeoutHeight !== undefined ? { timeoutHeight: t.timeoutHeight } : {}),
            signer: key,
            sequence: t.sequence,
            fee: t.fee ? [{ denom: t.fee.denom, amount: t.fee.amount.toString() }] : [],
            gas: t.gas,
            chainId: t.chainId,
            accountNumber: t.accountNumber,
          })
          const publicKey = t.uncompressed ? secp256k1.Point.fromBytes(key).toBytes(false) : key
          const { payloads, transaction } = decode(signBytes, { publicKey, network: `cosmos:${t.chainId}` })
          expect(payloads).toEqual([cosmjsSha256(signBytes)])
          expect(transaction.network).toBe(`cosmos:${t.chainId}`)
          expect(transaction.from).toBe(hasSend ? from : addressOf(key, 'cosmos'))
          expect(transaction.transfers).toEqual(transfers)
          expect(transaction.calls).toEqual(calls)
          expect(transaction.fee).toBe(t.fee?.amount ?? 0n)
          expect(transaction.feeAsset).toBe(t.fee?.denom ?? '')
          expect(transaction.fields).toEqual({
            chainId: t.chainId,
            accountNumber: t.accountNumber.toString(),
            sequence: t.sequence.toString(),
            gasLimit: t.gas.toString(),
            memo: t.memo,
            ...(t.timeoutHeight !== undefined ? { timeoutHeight: t.timeoutHeight.toString() } : {}),
          })
        },
      ),
      { numRuns: 150 },
    )
  })

  it("reads what the package's relayer prepares, with the payload the relayer has the key sign", async () => {
    const adapter = cosmosAdapter({ chainId: 'osmo-test-5', prefix: 'osmo' })
    const from = addressOf(alice, 'osmo')
    const to = toBech32('osmo', new Uint8Array(20).fill(1))
    const signer = { keyId: 1, keyType: 'ecdsa-secp256k1', publicKey: alice } as const
    const prepared = await adapter.prepare(
      { messages: [send(from, to, [{ denom: 'uosmo', amount: '1000' }])], memo: 'zrkit', accountNumber: 5n, sequence: 2, fee: { amount: [{ denom: 'uosmo', amount: '2500' }], gas: '100000' } },
      signer,
    )
    const bytes = Uint8Array.from(Buffer.from(prepared.unsignedTx, 'hex'))
    const { payloads, transaction } = decode(bytes)
    expect(payloads).toEqual(prepared.payloads)
    expect(payloads).toEqual(await adapter.payloads(prepared.unsignedTx, signer))
    expect(transaction.from).toBe(from)
    expect(transaction.network).toBe('cosmos:osmo-test-5')
    expect(transaction.transfers).toEqual([{ kind: 'transfer', asset: 'uosmo', to, amount: 1000n }])
    expect([transaction.fee, transaction.feeAsset]).toEqual([2500n, 'uosmo'])
    expect(transaction.fields).toMatchObject({ accountNumber: '5', sequence: '2', gasLimit: '100000', memo: 'zrkit' })
  })

  it('reports the fee payer and granter', () => {
    const granter = toBech32('cosmos', new Uint8Array(20).fill(9))
    const { transaction } = decode(build({ granter, payer: aliceAddress }))
    expect(transaction.fields.feeGranter).toBe(granter)
    expect(transaction.fields.feePayer).toBe(aliceAddress)
    refused(() => decode(build({ granter: 'cosmos1nope' })), 'authInfo.fee.granter', /bech32/)
  })

  it('reads an empty fee as 0 with no asset', () => {
    const { transaction } = decode(build({ fee: [], gas: 0 }))
    expect(transaction.fee).toBe(0n)
    expect(transaction.feeAsset).toBe('')
    expect(transaction.fields.gasLimit).toBe('0')
  })
})

describe('lies', () => {
  it('a sign doc whose signer is another key is refused', () => {
    const error = refused(() => decode(build({ signer: mallory })), 'authInfo.signer_infos[0].public_key.value.key')
    expect(error?.details).toContain(Buffer.from(alice).toString('hex'))
    expect(error?.details).toContain(Buffer.from(mallory).toString('hex'))
    // and the same sign doc is this key's for mallory's key
    expect(decode(build({ signer: mallory, messages: [send(addressOf(mallory), bob, [{ denom: 'uatom', amount: '1' }])] }), { publicKey: mallory }).transaction.from).toBe(addressOf(mallory))
  })

  it('a transaction with two signers, a multisig or another sign mode is refused', () => {
    refused(() => decode(build({ signers: [alice, mallory] })), 'authInfo.signer_infos', /exactly one signer.*got 2 signers/)
    refused(() => decode(build({ signMode: SignMode.SIGN_MODE_LEGACY_AMINO_JSON })), 'authInfo.signer_infos[0].mode_info.single.mode', /SIGN_MODE_DIRECT \(1\), got sign mode 127/)
    refused(() => decode(build({ signMode: SignMode.SIGN_MODE_TEXTUAL })), 'authInfo.signer_infos[0].mode_info.single.mode')
    const multi = AuthInfo.encode(
      AuthInfo.fromPartial({
        signerInfos: [{ publicKey: encodePubkey(encodeSecp256k1Pubkey(alice)), modeInfo: { multi: { bitarray: { extraBitsStored: 0, elems: new Uint8Array([1]) }, modeInfos: [] } }, sequence: 1n }],
        fee: { amount: [], gasLimit: 1n },
      }),
    ).finish()
    refused(() => decode(build({ authInfoBytes: multi })), 'authInfo.signer_infos[0].mode_info', /multi/)
    const ed25519 = AuthInfo.encode(
      AuthInfo.fromPartial({
        signerInfos: [{ publicKey: { typeUrl: '/cosmos.crypto.ed25519.PubKey', value: new Uint8Array([10, 32, ...new Uint8Array(32)]) }, modeInfo: { single: { mode: SignMode.SIGN_MODE_DIRECT } } }],
        fee: { amount: [], gasLimit: 1n },
      }),
    ).finish()
    refused(() => decode(build({ authInfoBytes: ed25519 })), 'authInfo.signer_infos[0].public_key.type_url', /secp256k1.PubKey signer key, got "\/cosmos.crypto.ed25519.PubKey"/)
  })

  it('the payload is computed from the bytes: a requester cannot name another digest, nor re-encode the sign doc', () => {
    const bytes = build()
    expect(decode(bytes).payloads[0]).toEqual(cosmjsSha256(bytes))
    const doc = SignDoc.decode(bytes)
    // the same sign doc in other encodings (each would give another digest): refused
    const body = len(1, doc.bodyBytes)
    const auth = len(2, doc.authInfoBytes)
    const chain = len(3, doc.chainId)
    const account = num(4, doc.accountNumber)
    refused(() => decode(cat(auth, body, chain, account)), 'signDoc.body_bytes', /increasing order.*got field 1 after field 2/)
    refused(() => decode(cat(body, auth, chain, chain, account)), 'signDoc.chain_id', /at most once/)
    refused(() => decode(cat(body, auth, chain, account, account)), 'signDoc.account_number', /at most once/)
    refused(() => decode(cat(body, auth, chain, new Uint8Array([0x20, 0x80, 0x00]))), 'signDoc.account_number', /shortest form/)
    refused(() => decode(cat(body, auth, chain, num(4, 0))), 'signDoc.account_number', /left out when 0.*got an explicit 0/)
    refused(() => decode(cat(body, auth, chain, account, new Uint8Array([0])))) // trailing zero byte: a field 0 tag
    refused(() => decode(cat(body, auth, chain, account, len(5, 'x'))), 'signDoc', /only the fields of SignDoc.*got unknown field 5/)
    // a length given in a longer varint than needed
    refused(() => decode(cat(new Uint8Array([0x0a, 0x80 | doc.bodyBytes.length, 0x00]), doc.bodyBytes, auth, chain, account)), 'signDoc.body_bytes (length)', /shortest form/)
    // account number 0 is left out by cosmjs and accepted
    expect(decode(build({ accountNumber: 0n })).transaction.fields.accountNumber).toBe('0')
  })

  it('a MsgSend hidden in authz MsgExec is reported as a call, not a transfer', () => {
    const inner = { typeUrl: SEND, value: MsgSend.encode(MsgSend.fromPartial({ fromAddress: aliceAddress, toAddress: bob, amount: [{ denom: 'uatom', amount: '999999' }] })).finish() }
    const bytes = build({ messages: [{ typeUrl: EXEC, value: MsgExec.fromPartial({ grantee: aliceAddress, msgs: [inner] }) }] })
    const { transaction } = decode(bytes)
    expect(transaction.transfers).toEqual([])
    expect(transaction.calls).toEqual([{ to: EXEC, value: 0n }])
  })

  it('a MsgSend under another type URL is a call, not a transfer', () => {
    const value = msgSendBytes(aliceAddress, bob, [coin('uatom', '5')])
    for (const typeUrl of ['type.googleapis.com/cosmos.bank.v1beta1.MsgSend', '/cosmos.bank.v1beta1.MsgSend2', '/cosmos.bank.v1beta2.MsgSend', '/Cosmos.bank.v1beta1.MsgSend']) {
      const { transaction } = decode(signDocOf(bodyOf(any(typeUrl, value))))
      expect(transaction.transfers).toEqual([])
      expect(transaction.calls).toEqual([{ to: typeUrl, value: 0n }])
    }
  })

  it('every message is reported: sends, then calls, in order', () => {
    const carol = toBech32('cosmos', new Uint8Array(32).fill(0xca))
    const bytes = build({
      messages: [
        send(aliceAddress, bob, [{ denom: 'uatom', amount: '1' }, { denom: 'ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2', amount: '2' }]),
        { typeUrl: DELEGATE, value: MsgDelegate.fromPartial({ delegatorAddress: aliceAddress, validatorAddress: 'cosmosvaloper1xyz', amount: { denom: 'uatom', amount: '3' } }) },
        send(aliceAddress, carol, [{ denom: 'uatom', amount: '4' }]),
        send(aliceAddress, aliceAddress, [{ denom: 'uatom', amount: '5' }]),
      ],
    })
    const { transaction } = decode(bytes)
    expect(transaction.transfers).toEqual([
      { kind: 'transfer', asset: 'uatom', to: bob, amount: 1n },
      { kind: 'transfer', asset: 'ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2', to: bob, amount: 2n },
      { kind: 'transfer', asset: 'uatom', to: carol, amount: 4n },
    ])
    expect(transaction.calls).toEqual([{ to: DELEGATE, value: 0n }])
  })

  it('huge amounts are reported exactly; amounts past 2^256 or not canonical are refused', () => {
    const max = (1n << 256n) - 1n
    const { transaction } = decode(build({ messages: [send(aliceAddress, bob, [{ denom: 'uatom', amount: max.toString() }])], fee: [{ denom: 'uatom', amount: (max - 1n).toString() }] }))
    expect(transaction.transfers[0]?.amount).toBe(max)
    expect(transaction.fee).toBe(max - 1n)
    refused(() => decode(build({ messages: [send(aliceAddress, bob, [{ denom: 'uatom', amount: (max + 1n).toString() }])] })), 'body.messages[0].amount[0].amount', /below 2\^256, got "1157920/)
    for (const amount of ['0100', '-5', '+5', ' 5', '5 ', '1e3', '1.5', '0x10', '٣', '9'.repeat(79)]) {
      refused(() => decode(build({ messages: [send(aliceAddress, bob, [{ denom: 'uatom', amount }])] })), 'body.messages[0].amount[0].amount', /expected an amount/)
    }
    refused(() => decode(build({ fee: [{ denom: 'uatom', amount: '007' }] })), 'authInfo.fee.amount[0].amount')
  })

  it('a MsgSend from another address, or from this key under another prefix, is refused', () => {
    refused(() => decode(build({ messages: [send(bob, aliceAddress, [{ denom: 'uatom', amount: '1' }])] })), 'body.messages[0].from_address', new RegExp(`this key's address ${aliceAddress} as the sender, got "${bob}"`))
    refused(
      () => decode(build({ messages: [send(aliceAddress, bob, [{ denom: 'uatom', amount: '1' }]), send(addressOf(alice, 'osmo'), toBech32('osmo', new Uint8Array(20)), [{ denom: 'uatom', amount: '1' }])] })),
      'body.messages[1].from_address',
    )
    refused(() => decode(build({ messages: [send(aliceAddress, toBech32('osmo', new Uint8Array(20)), [{ denom: 'uatom', amount: '1' }])] })), 'body.messages[0].to_address', /prefix "cosmos"/)
  })

  it('reads upper-case addresses as their lower-case form', () => {
    const { transaction } = decode(signDocOf(bodyOf(any(SEND, msgSendBytes(aliceAddress.toUpperCase(), bob.toUpperCase(), [coin('uatom', '5')])))))
    expect(transaction.from).toBe(aliceAddress)
    expect(transaction.transfers).toEqual([{ kind: 'transfer', asset: 'uatom', to: bob, amount: 5n }])
    refused(() => decode(signDocOf(bodyOf(any(SEND, msgSendBytes(aliceAddress, `${bob.slice(0, 10)}${bob.slice(10).toUpperCase()}`, [coin('uatom', '5')]))))), 'body.messages[0].to_address')
  })

  it('a duplicated fee (which protobuf would merge) or two fee coins are refused', () => {
    const info = AuthInfo.decode(defaultAuthInfo())
    const signerInfo = AuthInfo.encode(AuthInfo.fromPartial({ signerInfos: info.signerInfos })).finish()
    const fee = (amount: string) => len(2, cat(len(1, coin('uatom', amount)), num(2, 200_000)))
    refused(() => decode(signDocOf(registry.encodeTxBody({ messages: [send(aliceAddress, bob, [{ denom: 'uatom', amount: '1' }])] }), cat(signerInfo, fee('1'), fee('999999')))), 'authInfo.fee', /at most once/)
    refused(() => decode(build({ fee: [{ denom: 'uatom', amount: '1' }, { denom: 'uosmo', amount: '1' }] })), 'authInfo.fee.amount', /at most one fee coin, got 2 coins/)
    refused(() => decode(signDocOf(registry.encodeTxBody({ messages: [send(aliceAddress, bob, [{ denom: 'uatom', amount: '1' }])] }), signerInfo)), 'authInfo.fee', /a fee.*got none/)
  })

  it('unknown fields, extension options, tips and unordered transactions are refused', () => {
    const body = registry.encodeTxBody({ messages: [send(aliceAddress, bob, [{ denom: 'uatom', amount: '1' }])] })
    refused(() => decode(signDocOf(cat(body, len(6, 'x')))), 'body', /only the fields of TxBody.*got unknown field 6/)
    refused(() => decode(signDocOf(cat(body, len(1023, any('/x.Ext', new Uint8Array(0)))))), 'body.extension_options', /no extension_options.*got 1/)
    refused(() => decode(signDocOf(cat(body, len(2047, any('/x.Ext', new Uint8Array(0)))))), 'body.non_critical_extension_options', /got 1/)
    refused(() => decode(signDocOf(cat(body, num(4, 1)))), 'body.unordered', /unordered/)
    refused(() => decode(signDocOf(cat(body, len(5, num(1, 1_700_000_000))))), 'body.timeout_timestamp')
    refused(() => decode(signDocOf(cat(body, num(2, 5)))), 'body.memo', /wire type 2.*got wire type 0/)
    const withTip = AuthInfo.encode(AuthInfo.fromPartial({ ...AuthInfo.decode(defaultAuthInfo()), tip: { amount: [{ denom: 'uatom', amount: '1' }], tipper: aliceAddress } })).finish()
    refused(() => decode(signDocOf(body, withTip)), 'authInfo.tip', /no tip/)
    refused(() => decode(signDocOf(body, cat(defaultAuthInfo(), len(9, 'x')))), 'authInfo', /unknown field 9/)
    refused(() => decode(signDocOf(bodyOf(any(SEND, cat(msgSendBytes(aliceAddress, bob, [coin('uatom', '1')]), len(4, 'x')))))), 'body.messages[0]', /only the fields of MsgSend/)
  })

  it('a message-less body, a bad type URL, a bad denom or an empty send are refused', () => {
    refused(() => decode(signDocOf(len(2, 'memo only'))), 'body.messages', /at least one message, got none/)
    refused(() => decode(signDocOf(bodyOf(len(2, 'value')))), 'body.messages[0].type_url', /got none/)
    refused(() => decode(signDocOf(bodyOf(any('', new Uint8Array(0))))), 'body.messages[0].type_url', /left out when empty/)
    refused(() => decode(signDocOf(bodyOf(any('/has space', new Uint8Array(0))))), 'body.messages[0].type_url', /got "\/has space"/)
    refused(() => decode(signDocOf(bodyOf(any(SEND, msgSendBytes(aliceAddress, bob, []))))), 'body.messages[0].amount', /at least one coin/)
    for (const denom of ['at', '1atom', 'u atom', 'a'.repeat(129), 'uatom\u0000']) {
      refused(() => decode(signDocOf(bodyOf(any(SEND, msgSendBytes(aliceAddress, bob, [coin(denom, '1')]))))), 'body.messages[0].amount[0].denom', /a denom/)
    }
    refused(() => decode(signDocOf(bodyOf(any(SEND, msgSendBytes(aliceAddress, bob, [len(1, new Uint8Array([0xff]))]))))), 'body.messages[0].amount[0].denom', /UTF-8/)
  })

  it('the network is the sign doc\'s; another named by the requester is refused', () => {
    expect(decode(build(), { network: 'cosmos:cosmoshub-4' }).transaction.network).toBe('cosmos:cosmoshub-4')
    refused(() => decode(build(), { network: 'cosmos:osmosis-1' }), 'network', /cosmos:cosmoshub-4 or none, got "cosmos:osmosis-1"/)
    refused(() => decode(build({ chainId: 'a'.repeat(51) })), 'signDoc.chain_id')
    refused(() => decode(build({ chainId: 'hub 4' })), 'signDoc.chain_id', /got "hub 4"/)
  })

  it('refuses other key types, taproot, bad keys and oversized or empty input', () => {
    refused(() => decode(build(), { keyType: 'eddsa-ed25519' }), 'keyType', /ecdsa-secp256k1.*got "eddsa-ed25519"/)
    refused(() => decode(build(), { keyType: 'schnorr-secp256k1' }), 'keyType')
    refused(() => decode(build(), { taproot: true }), 'taproot', /got boolean true/)
    refused(() => decode(build(), { publicKey: new Uint8Array(32) }), 'publicKey', /got 32 bytes/)
    refused(() => decode(build(), { publicKey: new Uint8Array(33).fill(4) }), 'publicKey', /point on the curve/)
    refused(() => decode(new Uint8Array(0)), 'unsignedTransaction', /got 0 bytes/)
    refused(() => decode(new Uint8Array(64 * 1024 + 1)), 'unsignedTransaction', /got 65537 bytes/)
    refused(() => decode('0a02' as unknown as Uint8Array), 'unsignedTransaction', /got "0a02"/)
    refused(() => decoder.decode(null as never), undefined, /got null/)
  })

  it('reads a sign doc of 64 KiB quickly', () => {
    const big = { typeUrl: '/cosmwasm.wasm.v1.MsgExecuteContract', value: new Uint8Array(64 * 1024 - 600).fill(0x61) }
    const bytes = signDocOf(cat(len(1, any(big.typeUrl, big.value)), len(2, 'm'.repeat(256))))
    expect(bytes.length).toBeLessThanOrEqual(64 * 1024)
    const started = performance.now()
    expect(decode(bytes).transaction.calls).toEqual([{ to: big.typeUrl, value: 0n }])
    expect(performance.now() - started).toBeLessThan(500)
  })

  it('keeps within what the ledger stores: 256 transfers, 256 calls, a memo of 1024 characters', () => {
    const coins = (n: number) => Array.from({ length: n }, (_, i) => ({ denom: `tok${i}`, amount: '1' }))
    expect(decode(build({ messages: [send(aliceAddress, bob, coins(256))] })).transaction.transfers).toHaveLength(256)
    refused(() => decode(build({ messages: [send(aliceAddress, bob, coins(200)), send(aliceAddress, bob, coins(57))] })), 'body.messages', /at most 256 coins sent \(transfers\), got 257/)
    const calls = (n: number) => bodyOf(...Array.from({ length: n }, () => any('/x.Msg', new Uint8Array(0))))
    expect(decode(signDocOf(calls(256))).transaction.calls).toHaveLength(256)
    refused(() => decode(signDocOf(calls(257))), 'body.messages', /at most 256 messages other than MsgSend \(calls\), got 257/)
    expect(decode(build({ memo: 'é'.repeat(1024) })).transaction.fields.memo).toHaveLength(1024)
    refused(() => decode(build({ memo: 'm'.repeat(1025) })), 'body.memo', /at most 1024 characters, got 1025 characters/)
  })
})

describe('normalizeAddress', () => {
  it('returns a bech32 address of any prefix in lower case', () => {
    expect(decoder.normalizeAddress(aliceAddress)).toBe(aliceAddress)
    expect(decoder.normalizeAddress(aliceAddress.toUpperCase())).toBe(aliceAddress)
    const osmo = addressOf(alice, 'osmo')
    expect(decoder.normalizeAddress(osmo.toUpperCase())).toBe(osmo)
    const contract = toBech32('neutron', new Uint8Array(32).fill(7))
    expect(decoder.normalizeAddress(contract)).toBe(contract)
  })

  it('refuses anything else with INVALID_INPUT saying what arrived', () => {
    const bad = [
      `${aliceAddress.slice(0, 10)}${aliceAddress.slice(10).toUpperCase()}`, // mixed case
      `${aliceAddress.slice(0, -1)}${aliceAddress.endsWith('q') ? 'p' : 'q'}`, // checksum
      bech32m.encode('cosmos', bech32m.toWords(new Uint8Array(20))), // bech32m
      '0x70997970c51812dc3a010c7d01b50e0d17dc79c8',
      '',
      'cosmos1',
      42 as unknown as string,
    ]
    for (const address of bad) {
      let error: unknown
      try {
        decoder.normalizeAddress(address)
      } catch (e) {
        error = e
      }
      expect(isZrError(error, 'INVALID_INPUT'), String(address)).toBe(true)
      expect((error as { details: string }).details).toMatch(/^expected a bech32 address.*, got /)
    }
  })
})

// keep the cosmjs TxBody import honest: the hand-written bodies decode with cosmjs too
it('hand-written test bodies are valid for cosmjs', () => {
  expect(TxBody.decode(bodyOf(any(SEND, msgSendBytes(aliceAddress, bob, [coin('uatom', '5')])))).messages[0]?.typeUrl).toBe(SEND)
})
