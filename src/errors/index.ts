export { ERROR_CODES, httpStatusFor, isErrorCode } from './codes.js';
export type { AudioDecodeErrorCode, ErrorCode, ErrorCodeInfo } from './codes.js';
export {
  AudioDecodeError,
  describeValue,
  FeatureError,
  fromFsError,
  fromSerializedError,
  KwsError,
  isKwsError,
  toSerializedError,
  UnreachableCaseError,
} from './kws-error.js';
export type { SerializedKwsError } from './kws-error.js';
export { toClientError } from './client-error.js';
export type { ClientError } from './client-error.js';
export { fileTooLarge, fromHttpError, fromMultipartError, MISSING_FILE_PART, UNNAMED_FILE } from './request-error.js';
