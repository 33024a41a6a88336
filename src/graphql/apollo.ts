import { ApolloServer } from '@apollo/server';
import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { unwrapResolverError } from '@apollo/server/errors';
import type { RequestHandler } from 'express';
import { GraphQLError } from 'graphql';
import type { GraphQLFormattedError } from 'graphql';
import graphqlUploadExpress from 'graphql-upload/graphqlUploadExpress.mjs';
import { fromMultipartError, isKwsError, toClientError } from '../errors/index.js';
import { authorizationPlugin, rootFields } from './authorization.js';
import { createContext } from './context.js';
import type { GraphqlDeps, KwsContext } from './context.js';
import { principalOn } from '../storage/index.js';
import { queryCostPlugin } from './complexity.js';
import { kwsSchema } from './schema.js';

/** Limits of GraphQL uploads (graphql-upload). */
export interface GraphqlUploadLimits {
  /** Largest file, bytes. */
  readonly maxFileBytes: number;
  /** Most files per request. */
  readonly maxFiles: number;
}

/**
 * Maps errors to what clients see (the one edge mapping, `toClientError`): a KwsError thrown in a
 * resolver keeps its code in `extensions.code` with its HTTP status; an unexpected error is masked
 * as INTERNAL and logged; GraphQL's own errors (validation, parsing) pass through.
 */
export function formatGraphqlError(log: (error: unknown) => void) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (!isKwsError(original) && original instanceof GraphQLError) return formatted;
    const client = toClientError(original);
    if (client.masked) log(original);
    return { ...formatted, message: client.message, extensions: { code: client.code, httpStatus: client.httpStatus } };
  };
}

/**
 * Apollo Server 5 over the type-graphql schema, as express middleware for `/graphql`: the GraphQL
 * multipart request spec (graphql-upload) for `classifyClips`, Apollo's CSRF prevention left on
 * (multipart clients send `Apollo-Require-Preflight: true`), a fresh context (DataLoader) per request
 * with the principal the HTTP layer's `authenticate` found (`principalOn(res.locals)`, failing closed), each operation's
 * root fields checked against their scopes and its mutations audited ({@link authorizationPlugin}).
 */
export async function createGraphqlHandlers(
  deps: GraphqlDeps,
  limits: GraphqlUploadLimits,
  log: (error: unknown) => void,
  plugins: ApolloServerPlugin<KwsContext>[] = [],
): Promise<{ handlers: RequestHandler[]; stop: () => Promise<void> }> {
  const schema = kwsSchema();
  const apollo = new ApolloServer<KwsContext>({
    schema,
    csrfPrevention: true,
    formatError: formatGraphqlError(log),
    // Authorization first: a key without the scope learns nothing else about the operation.
    plugins: [
      // Browsers get the bundled offline explorer from the HTTP layer, not Apollo's CDN landing page.
      ApolloServerPluginLandingPageDisabled(),
      authorizationPlugin(deps.audit),
      queryCostPlugin<KwsContext>(schema),
      responseStatusPlugin,
      ...plugins,
    ],
    introspection: true,
    // Server paths stay out of responses, whatever NODE_ENV says.
    includeStacktraceInErrorResponses: false,
    // kws serve handles SIGINT/SIGTERM itself (drain, then close threads and databases); Apollo's
    // own handler would kill the process before that.
    stopOnTerminationSignals: false,
  });
  await apollo.start();
  return {
    handlers: [
      uploadParser(limits),
      expressMiddleware(apollo, {
        context: async ({ res }) =>
          createContext({ ...deps, maxFileBytes: limits.maxFileBytes }, log, principalOn(res.locals)),
      }) as unknown as RequestHandler,
    ],
    stop: () => apollo.stop(),
  };
}

/**
 * graphql-upload's express middleware with the REST route's contract: a file of exactly
 * `maxFileBytes` passes (busboy stops a file when it reaches its limit, so the parser is given one
 * byte more), and errors of a body it cannot parse are client errors (`fromMultipartError`), not
 * masked 500s.
 */
function uploadParser(limits: GraphqlUploadLimits): RequestHandler {
  const parse = graphqlUploadExpress({
    maxFileSize: limits.maxFileBytes + 1,
    maxFiles: limits.maxFiles,
  }) as unknown as RequestHandler;
  return (req, res, next) =>
    parse(req, res, (error?: unknown) => next(error === undefined ? undefined : fromMultipartError(error)));
}

/** Sets the HTTP status a resolver asked for (`KwsContext.response`), e.g. classifyClips when every file failed. */
const responseStatusPlugin: ApolloServerPlugin<KwsContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ contextValue, response, operation, document }) {
        const status = contextValue.response.httpStatus;
        // Only for an operation of that one field: others beside it keep Apollo's status.
        if (status !== null && operation !== undefined && operation !== null && document !== undefined)
          if (rootFields(operation.selectionSet, document).length === 1) response.http.status = status;
      },
    };
  },
};
