export { errorCodes, errorCodeDescriptions, type ZrErrorCode } from './codes.js'
export type { NoContext, ZrErrorAccusation, ZrErrorContext, ZrErrorContextOf } from './context.js'
export { ZrError, isZrError, zrErrorFromJSON, type ZrErrorJSON, type ZrErrorOptions } from './ZrError.js'
