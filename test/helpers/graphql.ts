import { ApolloServer } from '@apollo/server';
import { EnginePool } from '../../src/engine/index.js';
import { createContext, formatGraphqlError, kwsSchema } from '../../src/graphql/index.js';
import type { KwsContext } from '../../src/graphql/index.js';
import { DEFAULT_UPLOAD_LIMITS } from '../../src/http/index.js';
import type { RunningServer } from '../../src/http/index.js';
import { Dashboard } from '../../src/serving/index.js';
import { AuditLog, OPEN_PRINCIPAL } from '../../src/storage/index.js';
import type { Principal } from '../../src/storage/index.js';

/** What an operation answered, in the shape of a JSON GraphQL response. */
export interface GraphqlResult {
  readonly data?: Record<string, unknown> | null;
  readonly errors?: ReadonlyArray<{ readonly message: string; readonly extensions?: { readonly code?: string } }>;
}

/** Runs GraphQL operations in-process; {@link graphqlExecutor}. */
export interface GraphqlExecutor {
  (query: string, variables?: Record<string, unknown>): Promise<GraphqlResult>;
  /** Errors the resolvers threw that clients saw masked as INTERNAL (the server would log them). */
  readonly unexpected: readonly unknown[];
  /** Stops Apollo and the dashboard's engine thread (not the server). */
  stop(): Promise<void>;
}

/**
 * Apollo's `executeOperation` over a running test server's serving service and job runner: the
 * server's schema and error mapping (`formatGraphqlError`), and a fresh context per operation from
 * `createContext`, as the server builds it, so resolvers are tested without HTTP. Two differences:
 * the dashboard scores on its own one-thread engine pool over the server's registry (the server does
 * not expose its pool), and the query-cost limit (an HTTP-facing plugin, tested in
 * test/http/serve.test.ts) is not installed.
 */
export async function graphqlExecutor(
  server: Pick<RunningServer, 'service' | 'jobs'>,
  principal: Principal = OPEN_PRINCIPAL,
): Promise<GraphqlExecutor> {
  const unexpected: unknown[] = [];
  const log = (error: unknown): void => {
    unexpected.push(error);
  };
  const apollo = new ApolloServer<KwsContext>({
    schema: kwsSchema(),
    formatError: formatGraphqlError(log),
    includeStacktraceInErrorResponses: false,
    stopOnTerminationSignals: false,
  });
  await apollo.start();
  const pool = new EnginePool({ threads: 1 });
  const dashboard = new Dashboard(server.service.registry, pool);
  const audit = AuditLog.open(':memory:');
  const execute = async (query: string, variables: Record<string, unknown> = {}): Promise<GraphqlResult> => {
    const response = await apollo.executeOperation(
      { query, variables },
      {
        contextValue: createContext(
          {
            service: server.service,
            jobs: server.jobs,
            dashboard,
            audit,
            maxFileBytes: DEFAULT_UPLOAD_LIMITS.maxFileBytes,
          },
          log,
          principal,
        ),
      },
    );
    if (response.body.kind !== 'single') throw new Error('expected a single GraphQL result, got an incremental one');
    // As a client reads it: graphql-js builds results on null-prototype objects, JSON gives plain ones.
    return JSON.parse(JSON.stringify(response.body.singleResult)) as GraphqlResult;
  };
  return Object.assign(execute, {
    unexpected,
    stop: async () => {
      await apollo.stop();
      await pool.close();
      audit.close();
    },
  });
}
