import { ZrError } from '../../errors/ZrError.js'
import type { ZrErrorCode } from '../../errors/codes.js'
import type { QueryKind, QueryParams, QueryResult } from '../../ledger/queries.js'
import type { ClientBase } from '../sendMessage.js'

/** Runs a single-record query and turns "absent" into the given typed error. */
export async function getOrThrow<K extends QueryKind>(client: ClientBase, kind: K, params: QueryParams<K>, code: ZrErrorCode, what: string): Promise<NonNullable<QueryResult<K>>> {
  const r = await client.ledger.query(kind, params)
  if (r === null || r === undefined) {
    const { id, address } = params as { id?: number; address?: string }
    throw new ZrError(code, `${what} not found.`, { details: `no ${what.toLowerCase()} ${id ?? address}`, context: { ...(id !== undefined ? { id } : {}), ...(address !== undefined ? { address } : {}) } })
  }
  return r as NonNullable<QueryResult<K>>
}
