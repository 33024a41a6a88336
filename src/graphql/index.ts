export { createGraphqlHandlers, formatGraphqlError } from './apollo.js';
export type { GraphqlUploadLimits } from './apollo.js';
export { kwsSchema, printKwsSchema } from './schema.js';
export { createContext } from './context.js';
export type { GraphqlDeps, KwsContext, PredictionKey } from './context.js';
export { requiredScope, ROOT_FIELD_SCOPES, rootFields } from './authorization.js';
