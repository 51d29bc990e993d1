import { sha256 } from '@noble/hashes/sha2.js'
import { canonicalBytes } from '@zrkit/core/internal'

const relayAuthDomain = 'zrkit/mpc/relay-auth/v1'

/**
 * The digest a party's account signs to authenticate to a network relay:
 * `sha256(canonical({ domain: 'zrkit/mpc/relay-auth/v1', challenge, relay, party }))`. The challenge is
 * fresh per connection (so an answer cannot be replayed on another connection) and `relay` is the
 * relay's identity as the party knows it (its URL by default), so an answer given to one relay is
 * worthless at another.
 *
 * @example
 * ```ts
 * import { relayAuthDigest } from './relayAuth.js'
 * const signature = await account.sign(relayAuthDigest(challenge, 'ws://relay.example:7700', account.address))
 * ```
 */
export function relayAuthDigest(challenge: Uint8Array, relay: string, party: string): Uint8Array {
  return sha256(relayAuthBytes(challenge, relay, party))
}

/** The bytes whose sha256 is {@link relayAuthDigest} (what the relay checks an answer's signature over). */
export function relayAuthBytes(challenge: Uint8Array, relay: string, party: string): Uint8Array {
  return canonicalBytes({ domain: relayAuthDomain, challenge, relay, party })
}
