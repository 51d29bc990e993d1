// The few parts of bitcore-lib (which ships no types) that the Bitcoin suites use to check spends
// with its script interpreter.
declare module 'bitcore-lib' {
  class Script {
    static fromBuffer(buf: Buffer): Script
  }
  namespace Script {
    class Interpreter {
      errstr: string
      verify(scriptSig: Script, scriptPubkey: Script, tx: Transaction, nin: number, flags: number, witness: Buffer[], satoshis: number): boolean
      static SCRIPT_VERIFY_P2SH: number
      static SCRIPT_VERIFY_DERSIG: number
      static SCRIPT_VERIFY_NULLDUMMY: number
      static SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY: number
      static SCRIPT_VERIFY_CHECKSEQUENCEVERIFY: number
      static SCRIPT_VERIFY_WITNESS: number
      static SCRIPT_VERIFY_TAPROOT: number
    }
  }
  class Output {
    constructor(params: { satoshis: number; script: Script })
  }
  class Input {
    output?: Output
    script: Script
    getWitnesses(): Buffer[]
  }
  class Transaction {
    constructor(serialized: string)
    inputs: Input[]
    static Output: typeof Output
  }
  const bitcore: { Script: typeof Script; Transaction: typeof Transaction }
  export default bitcore
}
