import { describeValue, toChecksumAddress, ZrError } from '@zrkit/core'

/**
 * The canonical form of an EVM address, the one the decoder writes in `to`, `from` and `asset`: `0x` and
 * 40 lower-case hex digits. Takes `0x` and 40 hex digits in one case throughout, or in mixed case when it is
 * the EIP-55 checksum form (a mixed-case address with a wrong checksum is a typo, not an address); throws
 * `INVALID_INPUT` for anything else.
 *
 * @example
 * ```ts
 * import { normalizeEvmAddress } from './normalizeEvmAddress.js'
 * normalizeEvmAddress('0x70997970C51812dc3A010C7d01b50e0d17dc79C8') // '0x70997970c51812dc3a010c7d01b50e0d17dc79c8'
 * normalizeEvmAddress('0x70997970C51812DC3A010C7D01B50E0D17DC79C8') // '0x70997970c51812dc3a010c7d01b50e0d17dc79c8'
 * normalizeEvmAddress('0x70997970c51812dc3a010c7d01b50e0d17dc79C8') // throws INVALID_INPUT: bad checksum
 * ```
 */
export function normalizeEvmAddress(address: string): string {
  if (typeof address !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(address)) {
    throw new ZrError('INVALID_INPUT', 'Invalid EVM address.', { details: `expected "0x" and 40 hex digits, got ${describeValue(address)}` })
  }
  const digits = address.slice(2)
  const lower = digits.toLowerCase()
  if (digits !== lower && digits !== digits.toUpperCase()) {
    const checksummed = toChecksumAddress(address)
    if (checksummed !== address) {
      throw new ZrError('INVALID_INPUT', 'Invalid EVM address.', {
        details: `expected one case throughout or the EIP-55 checksum form "${checksummed}", got "${address}"`,
      })
    }
  }
  return `0x${lower}`
}
