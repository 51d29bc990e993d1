import { secp256k1 } from '@noble/curves/secp256k1.js'
import { fastAccount } from './ledgerStoreFixture.js'
import { verifySecp256k1Sha256 } from '@zrkit/core/internal'
const a = fastAccount('x'); const sk = new Uint8Array(32).fill(7)
const bytes = new Uint8Array(300)
let t = performance.now(); let sig!: Uint8Array
for (let i = 0; i < 2000; i++) { bytes[0] = i; sig = a.signBytes(bytes) }
console.log('native sign us', ((performance.now() - t) / 2000 * 1000).toFixed(0))
const d = new Uint8Array(32)
secp256k1.sign(d, sk, { prehash: false })
t = performance.now()
for (let i = 0; i < 2000; i++) { d[0] = i; secp256k1.sign(d, sk, { prehash: false }) }
console.log('noble sign us', ((performance.now() - t) / 2000 * 1000).toFixed(0))
t = performance.now()
for (let i = 0; i < 2000; i++) { verifySecp256k1Sha256(sig, bytes, a.account.publicKey) }
console.log('native verify us', ((performance.now() - t) / 2000 * 1000).toFixed(0))
