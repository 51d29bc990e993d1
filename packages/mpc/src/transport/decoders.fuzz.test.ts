/**
 * Fuzz tests of every decoder on an MPC party's network path. Whatever a hostile relay or a hostile
 * party puts on the wire, the party refuses it with a typed error (an `MPC_ABORT` naming the sender,
 * or an `MPC_TRANSPORT` report to `onError`), never throws anything else, and keeps working:
 *
 * 1. `decodeSessionFrame`, against a reference reading of the format described by `encodeSessionFrame`.
 * 2. `decodeMessage` with the type guards of the FROST protocol, `decodeWire` with the schemas of the
 *    threshold-ECDSA protocol.
 * 3. Secure transports and session routers end to end, over a relay that alters, drops, replays and
 *    injects frames and with a peer that sends garbage through its authentic channel; afterwards the
 *    same parties sign with FROST.
 *
 * Inputs are random bytes, random JSON, valid encodings, and valid encodings with bytes flipped,
 * overwritten, inserted, deleted, duplicated, truncated, extended or spliced with another encoding,
 * plus edits of the decoded value (a field dropped, renamed, retyped). Runs: `fuzzRuns()` of
 * `@zrkit/testkit` (200, or 3000 in the full run, `ZRKIT_FULL=1`); the end-to-end part makes a fifth as many.
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { type Account, type ZrError, errorCodes, generateAccount, isZrError, toHex } from '@zrkit/core'
import { canonicalParse, equalBytes } from '@zrkit/core/internal'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fuzzRuns, sleep, tick, until } from '@zrkit/testkit'
import { KAPPA } from '../ecdsa/ot/baseOt.js'
import { type WireSchema, type WireValue, decodeWire, encodeWire } from '../ecdsa/wire.js'
import { decodeMessage, encodeMessage, isRecord } from '../frost/messages.js'
import { isComplaints, isReveal, isRound1, isRound2, runDkg } from '../frost/runDkg.js'
import { isCommitList, isPackage, isShares, runSigning } from '../frost/runSigning.js'
import { isHolders } from '../federation/keyGeneration.js'
import { type FrostKey, frostSuite } from '../frost/suites.js'
import { type MemoryRelay, type Relay, type RelayFrame, memoryRelay } from './memoryRelay.js'
import { type Session, type SessionRouter, createSessionRouter } from './SessionRouter.js'
import { type SessionFrame, decodeSessionFrame, encodeSessionFrame } from './sessionFrame.js'
import { type SecureTransport, secureTransport } from './secureTransport.js'

const runs = fuzzRuns()
/** One end-to-end run is a few protocol rounds over real transports (tens of ms), so a fifth as many. */
const e2eRuns = fuzzRuns(200, 5)
/**
 * Whether to check that each kind of outcome (accepted, refused as a replay, kept for later) came up at
 * least once: from 100 runs on, missing one by chance is below one in a million.
 */
const checkCoverage = runs >= 100

const utf8 = new TextEncoder()
/** Keeps a leading BOM and replaces malformed sequences with U+FFFD: the reference UTF-8 reader below. */
const lenient = new TextDecoder('utf-8', { ignoreBOM: true })
/** True when `bytes` are well-formed UTF-8: read and written back, they come out the same. */
const isUtf8 = (bytes: Uint8Array) => equalBytes(utf8.encode(lenient.decode(bytes)), bytes)

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown }

function outcome<T>(fn: () => T): Outcome<T> {
  try {
    return { ok: true, value: fn() }
  } catch (error) {
    return { ok: false, error }
  }
}

async function settled<T>(promise: Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await promise }
  } catch (error) {
    return { ok: false, error }
  }
}

/** A protocol decoder's refusal: `MPC_ABORT` naming the sender and saying what was malformed. */
function expectAbort(error: unknown, from: string, what: string): void {
  expect(isZrError(error, 'MPC_ABORT'), `expected MPC_ABORT, got ${String(error)}`).toBe(true)
  expect((error as ZrError).meta.party).toBe(from)
  expect((error as ZrError).shortMessage).toContain(what)
}

/** Every reported error is a ZrError with a known code (and `code` when given). */
function expectTyped(errors: readonly unknown[], code?: ZrError['code']): void {
  for (const e of errors) {
    expect(isZrError(e), `expected a ZrError, got ${String(e)}`).toBe(true)
    expect(errorCodes).toContain((e as ZrError).code)
    if (code) expect((e as ZrError).code, (e as ZrError).message).toBe(code)
  }
}

// ---------------------------------------------------------------------------------------------
// Byte-level mutations of a valid encoding

type Mutation =
  | { readonly op: 'flip'; readonly at: number; readonly bit: number }
  | { readonly op: 'set'; readonly at: number; readonly byte: number }
  | { readonly op: 'truncate'; readonly at: number }
  | { readonly op: 'extend'; readonly bytes: Uint8Array }
  | { readonly op: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly op: 'overwrite'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly op: 'delete'; readonly at: number; readonly length: number }
  | { readonly op: 'duplicate'; readonly at: number; readonly length: number }
  /** This input up to `at`, then another encoding from `from` on. */
  | { readonly op: 'splice'; readonly at: number; readonly donor: Uint8Array; readonly from: number }

function mutate(input: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let b: Uint8Array = Uint8Array.from(input)
  for (const m of mutations) {
    const cut = (at: number) => at % (b.length + 1)
    switch (m.op) {
      case 'flip':
        if (b.length > 0) b[m.at % b.length]! ^= 1 << m.bit
        break
      case 'set':
        if (b.length > 0) b[m.at % b.length] = m.byte
        break
      case 'truncate':
        b = b.slice(0, cut(m.at))
        break
      case 'extend':
        b = concat(b, m.bytes)
        break
      case 'insert': {
        const i = cut(m.at)
        b = concat(b.subarray(0, i), m.bytes, b.subarray(i))
        break
      }
      case 'overwrite': {
        const i = cut(m.at)
        b = concat(b.subarray(0, i), m.bytes, b.subarray(Math.min(b.length, i + m.bytes.length)))
        break
      }
      case 'delete': {
        const i = cut(m.at)
        b = concat(b.subarray(0, i), b.subarray(i + m.length))
        break
      }
      case 'duplicate': {
        const i = cut(m.at)
        b = concat(b.subarray(0, i + m.length), b.subarray(i))
        break
      }
      case 'splice':
        b = concat(b.subarray(0, cut(m.at)), m.donor.subarray(m.from % (m.donor.length + 1)))
        break
    }
  }
  return b
}

/** Mutations of encodings like `donors`; inserted bytes are random or `tokens` of the format. */
function mutationArb(donors: fc.Arbitrary<Uint8Array>, tokens: readonly Uint8Array[]): fc.Arbitrary<Mutation> {
  const chunk = fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.constantFrom(...tokens))
  const at = fc.nat()
  return fc.oneof(
    { weight: 3, arbitrary: fc.record({ op: fc.constant('flip' as const), at, bit: fc.integer({ min: 0, max: 7 }) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('set' as const), at, byte: fc.integer({ min: 0, max: 255 }) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('truncate' as const), at }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('extend' as const), bytes: chunk }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('insert' as const), at, bytes: chunk }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('overwrite' as const), at, bytes: chunk }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), at, length: fc.integer({ min: 1, max: 16 }) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('duplicate' as const), at, length: fc.integer({ min: 1, max: 16 }) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('splice' as const), at, donor: donors, from: fc.nat() }) },
  )
}

function mutated(valid: fc.Arbitrary<Uint8Array>, tokens: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.tuple(valid, fc.array(mutationArb(valid, tokens), { minLength: 1, maxLength: 4 })).map(([bytes, ms]) => mutate(bytes, ms))
}

const bytesOf = (...values: number[]) => Uint8Array.from(values)
/** Bytes on the edges of the binary formats: tags, flags, lengths, a BOM, malformed UTF-8. */
const binaryTokens = [
  bytesOf(0xef, 0xbb, 0xbf), // a UTF-8 byte order mark
  bytesOf(0xc0, 0x80), // an overlong NUL
  bytesOf(0xed, 0xa0, 0x80), // a UTF-16 surrogate
  bytesOf(0xf4, 0x90, 0x80, 0x80), // beyond U+10FFFF
  bytesOf(0xe2, 0x82), // a cut sequence
  bytesOf(0x00),
  bytesOf(0xff),
  bytesOf(0x00, 0x00),
  bytesOf(0xff, 0xff),
  bytesOf(0x00, 0x00, 0x00, 0x00),
  bytesOf(0xff, 0xff, 0xff, 0xff),
  bytesOf(0x5a, 0x01),
  bytesOf(0x01, 0x00, 0x00, 0x00, 0x00),
  bytesOf(0x02, 0x00, 0x00, 0x00, 0x01),
  bytesOf(0x03, 0x00, 0x00, 0x00, 0x01),
]
/** JSON fragments, canonical-JSON tags and FROST field names. */
const jsonTokens = [
  '{', '}', '[', ']', '"', ',', ':', 'null', 'true', '0', '-1', '1e999', '[]', '{}', '""', '\uFEFF', '\\u0000', '"__proto__"',
  '{"$bytes":"00"}', '{"$bytes":"0"}', '{"$bytes":"zz"}', '{"$bigint":"1"}', '"$bytes"', '"identifier"', '"signers"', '"shares"',
].map((s) => utf8.encode(s))

// ---------------------------------------------------------------------------------------------
// Value-level edits: one field of a valid message dropped, renamed, retyped, or one added

type Edit = { readonly kind: 'drop' | 'rename' | 'retype' | 'add'; readonly node: number; readonly at: number; readonly name: number; readonly randomName: string }

const editArb: fc.Arbitrary<Edit> = fc.record({
  kind: fc.constantFrom('drop' as const, 'rename' as const, 'retype' as const, 'add' as const),
  node: fc.nat(),
  at: fc.nat(),
  name: fc.nat(),
  randomName: fc.string({ unit: 'binary', maxLength: 8 }),
})

/** Names a field may be renamed to: close to the real one (a BOM in front, NUL after, other case) or not. */
function renamed(name: string, e: Edit): string {
  const variants = [`\uFEFF${name}`, `${name}\u0000`, name.toUpperCase() === name ? name.toLowerCase() : name.toUpperCase(), '', '__proto__', `${name}${name}`, e.randomName]
  return variants[e.name % variants.length]!
}

/** A copy of `value` (records, lists, bytes, JSON values) with edit `e` made at one of its records or lists. */
function edited(value: unknown, e: Edit, replacement: unknown): unknown {
  const copy = structuredClone(value)
  const containers: (unknown[] | Record<string, unknown>)[] = []
  const walk = (v: unknown) => {
    if (Array.isArray(v)) {
      containers.push(v)
      v.forEach(walk)
    } else if (isRecord(v)) {
      containers.push(v)
      Object.values(v).forEach(walk)
    }
  }
  walk(copy)
  const node = containers[e.node % Math.max(1, containers.length)]
  if (node === undefined) return copy
  const put = (target: object, key: string, v: unknown) => Object.defineProperty(target, key, { value: v, enumerable: true, writable: true, configurable: true })
  if (Array.isArray(node)) {
    const i = e.at % (node.length + 1)
    if (e.kind === 'drop') node.splice(i, 1)
    else if (e.kind === 'add' || i === node.length) node.splice(i, 0, replacement)
    else node[i] = replacement
    return copy
  }
  const keys = Object.keys(node)
  const key = keys[e.at % Math.max(1, keys.length)]
  if (e.kind === 'add' || key === undefined) put(node, renamed(key ?? 'x', e), replacement)
  else if (e.kind === 'drop') delete node[key]
  else if (e.kind === 'retype') put(node, key, replacement)
  else {
    const v = node[key]
    delete node[key]
    put(node, renamed(key, e), v)
  }
  return copy
}

// ---------------------------------------------------------------------------------------------
// 1. Session frames

/** The session frame format read straight from its description (see `encodeSessionFrame`). */
function referenceFrame(bytes: Uint8Array): SessionFrame | undefined {
  if (bytes.length < 6 || bytes[0] !== 0x5a || bytes[1]! > 1) return undefined
  const sessionEnd = 4 + ((bytes[2]! << 8) | bytes[3]!)
  if (sessionEnd === 4 || sessionEnd + 2 > bytes.length) return undefined
  const roundEnd = sessionEnd + 2 + ((bytes[sessionEnd]! << 8) | bytes[sessionEnd + 1]!)
  if (roundEnd === sessionEnd + 2 || roundEnd > bytes.length) return undefined
  const session = bytes.subarray(4, sessionEnd)
  const round = bytes.subarray(sessionEnd + 2, roundEnd)
  if (!isUtf8(session) || !isUtf8(round)) return undefined
  return { session: lenient.decode(session), round: lenient.decode(round), body: bytes.slice(roundEnd), broadcast: bytes[1] === 1 }
}

/** Session ids and round names: any string, and some on an edge (a BOM, the router's `$` rounds, NUL, the longest). */
const nameArb = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 16 }) },
  { weight: 1, arbitrary: fc.constantFrom('\uFEFF', '\uFEFFsign/commit', 'sign/commit\uFEFF', '$echo:dkg/1', '\u0000', 'é', '\u{1d11e}', 'x'.repeat(0xffff)) },
)
const frameArb: fc.Arbitrary<SessionFrame> = fc.record({ session: nameArb, round: nameArb, body: fc.uint8Array({ maxLength: 48 }), broadcast: fc.boolean() })
const frameBytesArb = frameArb.map(encodeSessionFrame)
/** A frame whose names start with a BOM: a strict UTF-8 reader that drops it reads another frame. */
const bomFrame: SessionFrame = { session: '\uFEFFsign-7/0', round: '\uFEFFsign/package', body: bytesOf(1, 2, 3), broadcast: true }

describe('decodeSessionFrame', () => {
  it('reads back every frame encodeSessionFrame writes', () => {
    fc.assert(
      fc.property(frameArb, (frame) => {
        expect(decodeSessionFrame(encodeSessionFrame(frame))).toEqual(frame)
      }),
      { numRuns: runs, examples: [[bomFrame]] },
    )
  })

  it('on any bytes returns what the format says or undefined, never throws, and what it returns encodes to the same bytes', () => {
    const inputs = fc.oneof(
      { weight: 5, arbitrary: mutated(frameBytesArb, binaryTokens) },
      { weight: 1, arbitrary: frameBytesArb },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => utf8.encode(JSON.stringify(v))) },
    )
    let accepted = 0
    fc.assert(
      fc.property(inputs, fc.nat(8), (bytes, offset) => {
        // the same bytes as a view into a larger buffer, with junk around them
        const host = new Uint8Array(offset + bytes.length + 8).fill(0xa5)
        host.set(bytes, offset)
        const view = host.subarray(offset, offset + bytes.length)
        const frame = decodeSessionFrame(view)
        expect(frame).toEqual(referenceFrame(bytes))
        if (frame) {
          accepted++
          expect(toHex(encodeSessionFrame(frame))).toBe(toHex(bytes))
          // the body is a copy: the router keeps it after the transport reuses its buffer
          expect(frame.body.buffer).not.toBe(host.buffer)
        }
      }),
      { numRuns: runs, examples: [[encodeSessionFrame(bomFrame), 3]] },
    )
    if (checkCoverage) expect(accepted).toBeGreaterThan(0)
  })

  it('returns undefined for anything that is not bytes', () => {
    fc.assert(
      fc.property(fc.anything({ withTypedArray: true, withMap: true, withSet: true, withBigInt: true }), (value) => {
        const expected = value instanceof Uint8Array ? referenceFrame(value) : undefined
        expect(decodeSessionFrame(value as Uint8Array)).toEqual(expected)
      }),
      { numRuns: runs },
    )
  })
})

// ---------------------------------------------------------------------------------------------
// 2a. FROST messages (canonical JSON)

// The type guards runSigning.ts, runDkg.ts and keyGeneration.ts pass to decodeMessage (imported below).

/** The same messages as data, for generating valid ones and as the oracle (records may carry more fields). */
type Shape = 'string' | 'bytes' | { readonly list: Shape; readonly length?: number } | { readonly record: Readonly<Record<string, Shape>> }

const commitmentsShape: Shape = { record: { identifier: 'string', hiding: 'bytes', binding: 'bytes' } }
const frostMessages: readonly { what: string; check: (v: unknown) => v is unknown; shape: Shape }[] = [
  { what: 'nonce commitments', check: isCommitList(2), shape: { list: commitmentsShape, length: 2 } },
  { what: 'signing package', check: isPackage, shape: { record: { signers: { list: 'string' }, commitments: { list: { list: commitmentsShape } }, signature: 'bytes' } } },
  { what: 'signature share message', check: isShares, shape: { record: { packageHash: 'bytes', packageSignature: 'bytes', shares: { list: 'bytes' } } } },
  { what: 'DKG commitment', check: isRound1, shape: { record: { identifier: 'string', commitment: { list: 'bytes' }, proofOfKnowledge: 'bytes' } } },
  { what: 'DKG share', check: isRound2, shape: { record: { identifier: 'string', signingShare: 'bytes' } } },
  { what: 'list of DKG complaints', check: isComplaints, shape: { record: { against: { list: 'string' } } } },
  { what: 'answer to DKG complaints', check: isReveal, shape: { record: { shares: { list: { record: { to: 'string', signingShare: 'bytes' } } } } } },
  { what: 'set of key holders', check: isHolders, shape: { record: { holders: { list: 'string' }, signature: 'bytes' } } },
]

function conforms(v: unknown, shape: Shape): boolean {
  if (shape === 'string') return typeof v === 'string'
  if (shape === 'bytes') return v instanceof Uint8Array
  if ('list' in shape) return Array.isArray(v) && (shape.length === undefined || v.length === shape.length) && v.every((x) => conforms(x, shape.list))
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) return false
  return Object.entries(shape.record).every(([k, s]) => Object.hasOwn(v, k) && conforms((v as Record<string, unknown>)[k], s))
}

function valueOf(shape: Shape): fc.Arbitrary<unknown> {
  if (shape === 'string') return fc.string({ maxLength: 12 })
  if (shape === 'bytes') return fc.uint8Array({ maxLength: 40 })
  if ('list' in shape) return fc.array(valueOf(shape.list), shape.length === undefined ? { maxLength: 3 } : { minLength: shape.length, maxLength: shape.length })
  return fc.record(Object.fromEntries(Object.entries(shape.record).map(([k, s]) => [k, valueOf(s)])))
}

/** What decodeMessage should do: accept exactly the bytes that parse as canonical JSON of the message's shape. */
function frostAccepts(bytes: Uint8Array, shape: Shape): boolean {
  const parsed = outcome(() => canonicalParse(new TextDecoder().decode(bytes)))
  return parsed.ok && conforms(parsed.value, shape)
}

const partyIdArb = fc.oneof(fc.constantFrom('zen1qparty', 'zen1qcoordinator'), fc.string({ minLength: 1, maxLength: 12 }))

describe('decodeMessage (FROST)', () => {
  it('returns a message of the expected shape or throws MPC_ABORT naming the sender', () => {
    type Input = { readonly bytes: Uint8Array; readonly value?: unknown }
    const inputsFor = (shape: Shape): fc.Arbitrary<Input> => {
      const valid = valueOf(shape)
      const encoded = valid.map(encodeMessage)
      const replacement = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.uint8Array({ maxLength: 8 }))
      return fc.oneof(
        { weight: 1, arbitrary: valid.map((value) => ({ bytes: encodeMessage(value), value })) },
        { weight: 2, arbitrary: fc.tuple(valid, editArb, replacement).map(([v, e, r]) => ({ bytes: encodeMessage(edited(v, e, r)) })) },
        { weight: 4, arbitrary: mutated(encoded, jsonTokens).map((bytes) => ({ bytes })) },
        { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => ({ bytes: utf8.encode(JSON.stringify(v)) })) },
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ bytes })) },
      )
    }
    const cases = fc.constantFrom(...frostMessages).chain((m) => fc.tuple(fc.constant(m), inputsFor(m.shape), partyIdArb))
    let accepted = 0
    fc.assert(
      fc.property(cases, ([{ what, check, shape }, input, from]) => {
        const result = outcome(() => decodeMessage(input.bytes, from, what, check))
        if (result.ok) {
          accepted++
          expect(conforms(result.value, shape)).toBe(true)
          // a decoded message encodes and decodes to itself
          expect(decodeMessage(encodeMessage(result.value), from, what, check)).toEqual(result.value)
        } else {
          expectAbort(result.error, from, what)
        }
        expect(result.ok).toBe(frostAccepts(input.bytes, shape))
        if ('value' in input) expect(result.ok && result.value).toEqual(input.value)
      }),
      { numRuns: runs },
    )
    if (checkCoverage) expect(accepted).toBeGreaterThan(0)
  })
})

// ---------------------------------------------------------------------------------------------
// 2b. Threshold-ECDSA messages (binary wire format)

// The schemas runEcdsaSigning.ts and pairSetup.ts pass to decodeWire (private there); n = 2 signers.
const b32 = { bytes: 32 } as const
const listOf = (item: WireSchema, length: number): WireSchema => ({ list: item, length })
const ecdsaMessages: readonly { what: string; schema: WireSchema }[] = [
  { what: 'nonce', schema: { record: { nonce: b32 } } },
  { what: 'signing set', schema: { record: { signers: { list: 'bytes' }, nonces: { list: b32 }, signature: { bytes: 64 } } } },
  { what: 'setup id', schema: { record: { setup: b32 } } },
  { what: 'round-1 message', schema: listOf({ record: { commitment: 'bytes', mul: { record: { ote: { record: { u: 'bytes', xTilde: 'bytes', tTilde: 'bytes' } } } } } }, 2) },
  {
    what: 'round-2 message',
    schema: listOf(
      { record: { instancePoint: 'bytes', salt: 'bytes', publicShare: 'bytes', gammaU: 'bytes', gammaV: 'bytes', psi: 'bytes', mul: { record: { tau: 'bytes', r: 'bytes', u: 'bytes' } } } },
      2,
    ),
  },
  { what: 'round-3 message', schema: listOf({ record: { u: 'bytes', w: 'bytes' } }, 2) },
  { what: 'signature result', schema: { record: { signatures: { list: { bytes: 65 }, length: 2 } } } },
  { what: 'base OT message (s1)', schema: { record: { B: { bytes: 33 }, proofR: { bytes: 33 }, proofZ: b32, zero: b32 } } },
  { what: 'base OT message (r1)', schema: { record: { A: { list: { bytes: 33 }, length: KAPPA } } } },
]

/** The schema rules as the format's description states them: exact records, exact lengths. */
function conformsWire(v: unknown, s: WireSchema): boolean {
  if (s === 'bytes') return v instanceof Uint8Array
  if ('bytes' in s) return v instanceof Uint8Array && v.length === s.bytes
  if ('list' in s) return Array.isArray(v) && (s.length === undefined || v.length === s.length) && v.every((x) => conformsWire(x, s.list))
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) return false
  const names = Object.keys(v).sort()
  const want = Object.keys(s.record).sort()
  return names.length === want.length && want.every((k, i) => names[i] === k && conformsWire((v as Record<string, unknown>)[k], s.record[k]!))
}

function wireValueOf(s: WireSchema): fc.Arbitrary<WireValue> {
  if (s === 'bytes') return fc.uint8Array({ maxLength: 40 })
  if ('bytes' in s) return fc.uint8Array({ minLength: s.bytes, maxLength: s.bytes })
  if ('list' in s) return fc.array(wireValueOf(s.list), s.length === undefined ? { maxLength: 3 } : { minLength: s.length, maxLength: s.length })
  return fc.record(Object.fromEntries(Object.entries(s.record).map(([k, item]) => [k, wireValueOf(item)])))
}

/** Any message tree the encoder takes: names are well-formed strings, at most 8 levels. */
const wireNameArb = fc.oneof(fc.string({ unit: 'binary', maxLength: 6 }), fc.constantFrom('nonce', 'setup', 'signers', 'u', 'w', 'A', 'B', '\uFEFFu'))
const { tree: wireTreeArb } = fc.letrec<{ tree: WireValue }>((tie) => ({
  tree: fc.oneof({ depthSize: 'small', maxDepth: 6 }, fc.uint8Array({ maxLength: 40 }), fc.array(tie('tree'), { maxLength: 3 }), fc.dictionary(wireNameArb, tie('tree'), { maxKeys: 3 })),
}))

describe('decodeWire (threshold ECDSA)', () => {
  it('returns a message of the schema, encoded exactly one way, or throws MPC_ABORT naming the sender', () => {
    /** `tree`: the value the bytes encode, when known. */
    type Input = { readonly bytes: Uint8Array; readonly tree?: WireValue }
    const inputsFor = (schema: WireSchema): fc.Arbitrary<Input> => {
      const valid = wireValueOf(schema)
      // an edit deep in a message can nest it deeper than the encoder allows: then it is not sent
      const encode = (tree: WireValue): Input => {
        const bytes = outcome(() => encodeWire(tree))
        return bytes.ok ? { bytes: bytes.value, tree } : { bytes: new Uint8Array(0) }
      }
      return fc.oneof(
        { weight: 1, arbitrary: valid.map(encode) },
        { weight: 2, arbitrary: fc.tuple(valid, editArb, wireTreeArb).map(([v, e, r]) => encode(edited(v, e, r) as WireValue)) },
        { weight: 4, arbitrary: mutated(valid.map(encodeWire), binaryTokens).map((bytes) => ({ bytes })) },
        { weight: 1, arbitrary: wireTreeArb.map(encode) },
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ bytes })) },
      )
    }
    const cases = fc.constantFrom(...ecdsaMessages).chain((m) => fc.tuple(fc.constant(m), inputsFor(m.schema), partyIdArb))
    // a record name with a BOM in front is another name, not the schema's
    const bomName: Input = { bytes: encodeWire({ '\uFEFFnonce': new Uint8Array(32) }), tree: { '\uFEFFnonce': new Uint8Array(32) } }
    let accepted = 0
    fc.assert(
      fc.property(cases, ([{ what, schema }, input, from]) => {
        const result = outcome(() => decodeWire<WireValue>(input.bytes, from, what, schema))
        if (result.ok) {
          accepted++
          expect(conformsWire(result.value, schema)).toBe(true)
          expect(toHex(encodeWire(result.value))).toBe(toHex(input.bytes))
        } else {
          expectAbort(result.error, from, what)
        }
        if (input.tree !== undefined) {
          expect(result.ok).toBe(conformsWire(input.tree, schema))
          if (result.ok) expect(result.value).toEqual(input.tree)
        }
      }),
      { numRuns: runs, examples: [[[ecdsaMessages[0]!, bomName, 'zen1qparty']]] },
    )
    if (checkCoverage) expect(accepted).toBeGreaterThan(0)
  })
})

// ---------------------------------------------------------------------------------------------
// 3. Parties end to end under a hostile relay and a hostile peer

type Party = {
  readonly index: number
  readonly account: Account
  readonly id: string
  readonly transport: SecureTransport
  readonly router: SessionRouter
  /** What the transport reported to `onError`. */
  readonly transportErrors: unknown[]
  /** What the session router reported to `onError`. */
  readonly routerErrors: unknown[]
  /** Frames the relay delivered to this party. */
  delivered: number
}

/** Messages the routers keep for sessions not opened yet (small, so that dropping them is exercised). */
const BUFFER_LIMIT = 4

/** What a hostile relay does to one frame of the honest traffic. */
type FrameAction =
  | { readonly kind: 'pass' }
  | { readonly kind: 'drop' }
  | { readonly kind: 'mutate'; readonly mutations: readonly Mutation[] }
  | { readonly kind: 'replace'; readonly bytes: Uint8Array }
  /** Replaces the frame with a recorded one. */
  | { readonly kind: 'replay'; readonly pick: number }

/** A frame a hostile relay makes up and delivers to party `to`, or a recorded frame it sends again. */
type Injection =
  | {
      readonly kind: 'forge'
      readonly to: number
      /** As if from another party, from the receiver itself, or from an account that is no peer. */
      readonly from: 'peer' | 'self' | 'outsider'
      readonly peer: number
      /** Random bytes, or a recorded frame (from any pair), maybe altered. */
      readonly bytes: { readonly kind: 'random'; readonly bytes: Uint8Array } | { readonly kind: 'recorded'; readonly pick: number; readonly mutations: readonly Mutation[] }
    }
  /** A recorded frame again, unchanged, from its sender to its receiver. */
  | { readonly kind: 'resend'; readonly pick: number }

/** What a hostile peer sends through its authentic channel, before `mutations`. */
type Garbage =
  | { readonly kind: 'random'; readonly bytes: Uint8Array }
  | { readonly kind: 'json'; readonly value: unknown }
  /** A well-formed frame for a session no one opens; its broadcast flag usually says how it is sent. */
  | { readonly kind: 'fresh'; readonly frame: SessionFrame; readonly flagAsSent: boolean }
  /** A frame for a session that was closed, or (`bom`) for the session named like it with U+FEFF in front. */
  | { readonly kind: 'closed'; readonly pick: number; readonly bom: boolean; readonly round: string; readonly body: Uint8Array; readonly broadcast: boolean }

type PeerMessage = { readonly to: number; readonly broadcast: boolean; readonly garbage: Garbage; readonly mutations: readonly Mutation[] }

/** Transport frames: a version byte, an 8-byte counter, a 24-byte nonce, then the sealed message. */
const transportTokens = [bytesOf(0x01), bytesOf(0x02), new Uint8Array(8), new Uint8Array(8).fill(0xff), new Uint8Array(24), new Uint8Array(16)]
const frameMutationsArb = fc.array(mutationArb(fc.uint8Array({ minLength: 41, maxLength: 120 }), transportTokens), { minLength: 1, maxLength: 3 })

const frameActionArb: fc.Arbitrary<FrameAction> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'pass' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'drop' as const }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('mutate' as const), mutations: frameMutationsArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('replace' as const), bytes: fc.uint8Array({ maxLength: 160 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('replay' as const), pick: fc.nat() }) },
)

const injectionArb = (n: number): fc.Arbitrary<Injection> =>
  fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('forge' as const),
        to: fc.nat(n - 1),
        from: fc.constantFrom('peer' as const, 'peer' as const, 'self' as const, 'outsider' as const),
        peer: fc.nat(),
        bytes: fc.oneof(
          fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 160 }) }),
          fc.record({ kind: fc.constant('recorded' as const), pick: fc.nat(), mutations: fc.array(mutationArb(fc.uint8Array({ minLength: 41, maxLength: 120 }), transportTokens), { maxLength: 2 }) }),
        ),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('resend' as const), pick: fc.nat() }) },
  )

const garbageArb: fc.Arbitrary<Garbage> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 80 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('json' as const), value: fc.jsonValue({ maxDepth: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('fresh' as const), frame: frameArb, flagAsSent: fc.constantFrom(true, true, true, false) }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('closed' as const), pick: fc.nat(), bom: fc.constantFrom(false, false, false, true), round: nameArb, body: fc.uint8Array({ maxLength: 32 }), broadcast: fc.boolean() }),
  },
)

const peerMessageArb = (n: number): fc.Arbitrary<PeerMessage> =>
  fc.record({
    to: fc.nat(n - 2),
    broadcast: fc.boolean(),
    garbage: garbageArb,
    mutations: fc.oneof(fc.constant([]), fc.array(mutationArb(frameBytesArb, binaryTokens), { minLength: 1, maxLength: 3 })),
  })

describe('parties under a hostile relay and a hostile peer', () => {
  const n = 3
  const threshold = 2
  const suite = frostSuite('eddsa-ed25519')
  const relay: MemoryRelay = memoryRelay()
  const outsider = generateAccount('decoders-fuzz:outsider').address
  let parties: Party[] = []
  let ids: string[] = []
  let keys: FrostKey[] = []
  /** Thrown out of a callback of the relay or of a transport's message handler: must stay empty. */
  const escaped: unknown[] = []
  /** Uncaught exceptions and unhandled rejections of the process during these tests. */
  const faults: unknown[] = []
  const onFault = (error: unknown) => faults.push(error)
  /** Sessions opened and closed (at every party). */
  const closed: string[] = []
  /** Frames seen on the relay, recorded for replays (each older than a frame its receiver accepted since). */
  let recorded: RelayFrame[] = []
  /** Messages each router keeps for sessions not opened yet, as the test counts them. */
  const pending: number[] = []
  /** How often each path was taken (see `checkCoverage`). */
  const totals = { altered: 0, replays: 0, refusedByRouter: 0, kept: 0 }

  const record = (frame: RelayFrame) => {
    recorded.push({ from: frame.from, to: frame.to, bytes: Uint8Array.from(frame.bytes) })
  }
  const keepRecent = () => {
    recorded = recorded.slice(-64)
  }
  const freshId = (what: string) => `${what}/${toHex(randomBytes(8))}`
  const deliveredTotal = () => parties.reduce((sum, p) => sum + p.delivered, 0)
  const checkNoFaults = () => {
    expect(escaped).toEqual([])
    expect(faults).toEqual([])
  }

  /** One relay, one secure transport and one session router per party; every callback watched. */
  async function connect(): Promise<void> {
    const accounts = Array.from({ length: n }, (_, i) => generateAccount(`decoders-fuzz:${i}`)).sort((a, b) => (a.address < b.address ? -1 : 1))
    ids = accounts.map((a) => a.address)
    const byId = new Map<string, Party>()
    const watchedRelay: Relay = {
      connect: (party, onFrame) =>
        relay.connect(party, (frame) => {
          const p = byId.get(party)
          if (p) p.delivered++
          try {
            onFrame(frame)
          } catch (error) {
            escaped.push(error)
          }
        }),
      announce: (announcement) => relay.announce(announcement),
      onAnnouncement: (fn) =>
        relay.onAnnouncement((announcement) => {
          try {
            fn(announcement)
          } catch (error) {
            escaped.push(error)
          }
        }),
    }
    const transportErrors = accounts.map(() => [] as unknown[])
    const transports = await Promise.all(
      accounts.map((account, i) =>
        secureTransport({ account, relay: watchedRelay, peers: ids.filter((id) => id !== account.address), onError: (e: unknown) => transportErrors[i]!.push(e), timeoutMs: 10_000 }),
      ),
    )
    parties = accounts.map((account, i) => {
      const transport = transports[i]!
      const routerErrors: unknown[] = []
      // the router's message handler, watched for throws before the transport would catch them
      const watched: SecureTransport = {
        ...transport,
        onMessage: (handler) =>
          transport.onMessage((envelope) => {
            try {
              handler(envelope)
            } catch (error) {
              escaped.push(error)
            }
          }),
      }
      const router = createSessionRouter(watched, { onError: (e: unknown) => routerErrors.push(e), timeoutMs: 10_000, bufferLimit: BUFFER_LIMIT, bufferTtlMs: 3_600_000 })
      return { index: i, account, id: account.address, transport, router, transportErrors: transportErrors[i]!, routerErrors, delivered: 0 }
    })
    for (const p of parties) byId.set(p.id, p)
    pending.push(...parties.map(() => 0))
  }

  /** Opens a session at every party (all before anyone sends, so nothing waits in a buffer). */
  function openEverywhere(id: string): Session[] {
    return parties.map((p) => p.router.open(id, ids))
  }
  function closeEverywhere(id: string, sessions: readonly Session[]): void {
    for (const s of sessions) s.close()
    closed.push(id)
  }

  /** One honest round: everyone broadcasts, collects everyone else's message and confirms the broadcasts. */
  async function honestRound(): Promise<void> {
    relay.intercept((frame) => void record(frame))
    const id = freshId('live')
    const sessions = openEverywhere(id)
    try {
      const bodies = parties.map((p) => utf8.encode(`${id} from ${p.id}`))
      await Promise.all(sessions.map((s, i) => s.broadcast('live', bodies[i]!)))
      const got = await Promise.all(sessions.map((s) => s.collect('live', { timeoutMs: 5000 })))
      got.forEach((messages, i) => {
        for (const [j, p] of parties.entries()) if (j !== i) expect(toHex(messages.get(p.id)!)).toBe(toHex(bodies[j]!))
      })
      await Promise.all(sessions.map((s, i) => s.confirmBroadcasts('live', new Map(got[i]!).set(s.self, bodies[i]!), { timeoutMs: 5000 })))
    } finally {
      relay.intercept(null)
      closeEverywhere(id, sessions)
      keepRecent()
    }
  }

  beforeAll(async () => {
    process.on('uncaughtException', onFault)
    process.on('unhandledRejection', onFault)
    await connect()
    relay.intercept((frame) => void record(frame))
    const id = freshId('dkg')
    const sessions = openEverywhere(id)
    keys = await Promise.all(sessions.map((session) => runDkg({ session, suite, threshold, timeoutMs: 10_000 })))
    relay.intercept(null)
    await sleep(20)
    closeEverywhere(id, sessions)
    keepRecent()
  })

  afterAll(async () => {
    process.off('uncaughtException', onFault)
    process.off('unhandledRejection', onFault)
    for (const p of parties) p.router.close()
    await Promise.all(parties.map((p) => p.transport.close()))
  })

  it('a relay that alters, drops, replays and injects frames: each refused frame is reported, only authentic messages arrive, the parties keep working', async () => {
    const plan = fc.record({
      actions: fc.array(frameActionArb, { minLength: 1, maxLength: 12 }),
      injections: fc.array(injectionArb(n), { maxLength: 6 }),
    })
    await fc.assert(
      fc.asyncProperty(plan, async ({ actions, injections }) => {
        const transportBefore = parties.map((p) => p.transportErrors.length)
        const routerBefore = parties.map((p) => p.routerErrors.length)
        const deliveredBefore = deliveredTotal()
        const history = recorded.slice()
        const refusals = new Map<string, number>()
        const replays = new Map<string, number>()
        const bump = (m: Map<string, number>, to: string) => m.set(to, (m.get(to) ?? 0) + 1)
        /** `from>to#k`: the k-th frame on that pair went through unchanged. */
        const passed = new Set<string>()
        const onPair = new Map<string, number>()
        let frames = 0
        let deliveries = 0

        const id = freshId('relay-fuzz')
        const sessions = openEverywhere(id)
        const body = (round: string, i: number) => utf8.encode(`${round} of ${id} from ${ids[i]}`)
        relay.intercept((frame) => {
          record(frame)
          const action = actions[frames++] ?? { kind: 'pass' }
          const pair = `${frame.from}>${frame.to}`
          const k = onPair.get(pair) ?? 0
          onPair.set(pair, k + 1)
          if (action.kind === 'drop') return null
          const bytes =
            action.kind === 'mutate' ? mutate(frame.bytes, action.mutations)
            : action.kind === 'replace' ? action.bytes
            : action.kind === 'replay' ? history[action.pick % history.length]!.bytes
            : frame.bytes
          deliveries++
          if (equalBytes(bytes, frame.bytes)) {
            passed.add(`${pair}#${k}`)
            return undefined
          }
          bump(refusals, frame.to)
          totals.altered++
          return bytes
        })
        try {
          // per pair of parties, frame 0 carries round 'r' (a broadcast) and frame 1 round 'd' (direct)
          await Promise.all(
            sessions.map(async (s, i) => {
              await s.broadcast('r', body('r', i))
              for (const other of ids) if (other !== s.self) await s.send(other, 'd', body('d', i))
            }),
          )
        } finally {
          relay.intercept(null)
        }
        for (const inj of injections) {
          let frame: RelayFrame
          if (inj.kind === 'resend') {
            // older than a frame its receiver has accepted since (each run ends with an honest round): a replay
            frame = history[inj.pick % history.length]!
            bump(replays, frame.to)
          } else {
            const to = ids[inj.to]!
            const from = inj.from === 'self' ? to : inj.from === 'outsider' ? outsider : ids[(inj.to + 1 + (inj.peer % (n - 1))) % n]!
            const bytes = inj.bytes.kind === 'random' ? inj.bytes.bytes : mutate(history[inj.bytes.pick % history.length]!.bytes, inj.bytes.mutations)
            frame = { from, to, bytes }
          }
          relay.inject(frame)
          deliveries++
          bump(refusals, frame.to)
        }
        await until(() => deliveredTotal() - deliveredBefore === deliveries, 'the frames to arrive')
        await tick()
        checkNoFaults()

        for (const [i, p] of parties.entries()) {
          // every altered or made-up frame is refused by the transport, and reported once, typed
          const reported = p.transportErrors.slice(transportBefore[i])
          expectTyped(reported, 'MPC_TRANSPORT')
          expect(reported.length).toBe(refusals.get(p.id) ?? 0)
          expect(reported.filter((e) => /replayed/i.test((e as ZrError).shortMessage)).length).toBeGreaterThanOrEqual(replays.get(p.id) ?? 0)
          // the router only saw authentic messages, once each
          expect(p.routerErrors.length).toBe(routerBefore[i])
          // exactly the frames that went through unchanged were delivered, with their bodies
          for (const [j, sender] of ids.entries()) {
            if (j === i) continue
            for (const [k, round] of ['r', 'd'].entries()) {
              const got = await settled(sessions[i]!.collect(round, { from: [sender], timeoutMs: 0 }))
              if (passed.has(`${sender}>${p.id}#${k}`)) {
                expect(got.ok && toHex(got.value.get(sender)!)).toBe(toHex(body(round, j)))
              } else {
                expect(!got.ok && isZrError(got.error, 'TIMEOUT'), `round ${round} from ${j} at ${i}`).toBe(true)
              }
            }
          }
        }
        totals.replays += [...replays.values()].reduce((a, b) => a + b, 0)
        closeEverywhere(id, sessions)

        // the same parties, over an honest relay, still run a protocol round
        await honestRound()
        checkNoFaults()
      }),
      { numRuns: e2eRuns },
    )
    if (checkCoverage) {
      expect(totals.altered).toBeGreaterThan(0)
      expect(totals.replays).toBeGreaterThan(0)
    }
  })

  it('a peer that sends garbage through its authentic channel: each message is refused or kept for a later session, drops are reported, the parties keep working', async () => {
    const hostile = parties[n - 1]!
    await fc.assert(
      fc.asyncProperty(fc.array(peerMessageArb(n), { minLength: 1, maxLength: 8 }), async (messages) => {
        const transportBefore = parties.map((p) => p.transportErrors.length)
        const routerBefore = parties.map((p) => p.routerErrors.length)
        const deliveredBefore = deliveredTotal()
        const expected = parties.map(() => 0)
        for (const m of messages) {
          const g = m.garbage
          const raw =
            g.kind === 'random' ? g.bytes
            : g.kind === 'json' ? utf8.encode(JSON.stringify(g.value))
            : g.kind === 'fresh' ? encodeSessionFrame(g.flagAsSent ? { ...g.frame, broadcast: m.broadcast } : g.frame)
            : encodeSessionFrame({ session: `${g.bom ? '\uFEFF' : ''}${closed[g.pick % closed.length]!}`, round: g.round, body: g.body, broadcast: g.broadcast })
          const bytes = mutate(raw, m.mutations)
          const to = parties[m.to]!
          if (m.broadcast) await hostile.transport.broadcastTo([to.id], bytes)
          else await hostile.transport.send(to.id, bytes)
          // what the router must do with it: refuse and report, or keep it (dropping and reporting the oldest when full)
          const frame = referenceFrame(bytes)
          if (!frame || frame.broadcast !== m.broadcast || closed.includes(frame.session)) expected[m.to]!++
          else {
            totals.kept++
            if (pending[m.to]! < BUFFER_LIMIT) pending[m.to]!++
            else expected[m.to]!++
          }
        }
        await until(() => deliveredTotal() - deliveredBefore === messages.length, 'the messages to arrive')
        await tick()
        checkNoFaults()

        for (const [i, p] of parties.entries()) {
          // the frames themselves are authentic: the transport refuses none
          expect(p.transportErrors.length).toBe(transportBefore[i])
          const reported = p.routerErrors.slice(routerBefore[i])
          expectTyped(reported, 'MPC_TRANSPORT')
          expect(reported.length).toBe(expected[i])
          for (const e of reported) expect((e as ZrError).meta.from).toBe(hostile.id)
        }
        totals.refusedByRouter += expected.reduce((a, b) => a + b, 0)

        await honestRound()
        checkNoFaults()
      }),
      { numRuns: e2eRuns },
    )
    if (checkCoverage) {
      expect(totals.refusedByRouter).toBeGreaterThan(0)
      expect(totals.kept).toBeGreaterThan(0)
    }
  })

  it('afterwards, the same parties sign with FROST over an honest relay', async () => {
    const message = utf8.encode('signed after the fuzz')
    const sessionId = freshId('sign')
    const results = await Promise.all(
      parties.map((p) =>
        runSigning({
          router: p.router,
          sessionId,
          parties: ids,
          self: p.id,
          account: p.account,
          identityKey: (party) => p.transport.identityKey(party),
          suite,
          key: keys[p.index]!,
          threshold,
          messages: [message],
          seed: 0,
          attemptTimeoutMs: 5_000,
        }),
      ),
    )
    const groupKey = suite.groupKey(keys[0]!)
    for (const r of results) {
      expect(r.attempts).toBe(1)
      expect(r.accusations).toEqual([])
      expect(toHex(r.signatures[0]!)).toBe(toHex(results[0]!.signatures[0]!))
    }
    expect(ed25519.verify(results[0]!.signatures[0]!, message, groupKey, { zip215: false })).toBe(true)
    for (const p of parties) {
      expectTyped(p.transportErrors)
      expectTyped(p.routerErrors)
    }
    checkNoFaults()
  })
})
