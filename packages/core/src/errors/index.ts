export { errorCodes, type ZrErrorCode } from './codes.js'
export { ZrError, isZrError, zrErrorFromJSON, type ZrErrorOptions } from './ZrError.js'
