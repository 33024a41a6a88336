import { ApolloServer } from '@apollo/server';
import type { ApolloServerPlugin } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { unwrapResolverError } from '@apollo/server/errors';
import type { RequestHandler } from 'express';
import { GraphQLError } from 'graphql';
import type { GraphQLFormattedError } from 'graphql';
import graphqlUploadExpress from 'graphql-upload/graphqlUploadExpress.mjs';
import { isKwsError, toClientError } from '../errors/index.js';
import type { Dashboard, ServingService } from '../serving/index.js';
import type { JobRunner } from '../jobs/index.js';
import { createContext } from './context.js';
import type { KwsContext } from './context.js';
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
 * (multipart clients send `Apollo-Require-Preflight: true`), a fresh context (DataLoader) per request.
 */
export async function createGraphqlHandlers(
  service: ServingService,
  jobs: JobRunner,
  dashboard: Dashboard,
  limits: GraphqlUploadLimits,
  log: (error: unknown) => void,
  plugins: ApolloServerPlugin<KwsContext>[] = [],
): Promise<{ handlers: RequestHandler[]; stop: () => Promise<void> }> {
  const schema = kwsSchema();
  const apollo = new ApolloServer<KwsContext>({
    schema,
    csrfPrevention: true,
    formatError: formatGraphqlError(log),
    plugins: [queryCostPlugin<KwsContext>(schema), ...plugins],
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
      graphqlUploadExpress({
        maxFileSize: limits.maxFileBytes,
        maxFiles: limits.maxFiles,
      }) as unknown as RequestHandler,
      expressMiddleware(apollo, {
        context: async () => createContext(service, jobs, dashboard, log),
      }) as unknown as RequestHandler,
    ],
    stop: () => apollo.stop(),
  };
}
