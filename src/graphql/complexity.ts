import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { GraphQLSchema } from 'graphql';
import { createRequire } from 'node:module';
import type * as QueryComplexity from 'graphql-query-complexity';
import type { ComplexityEstimator } from 'graphql-query-complexity';

// The package's ESM build imports graphql/index.mjs while everything else loads graphql's CommonJS
// build, and graphql refuses types from "another realm": load its CommonJS build.
const { getComplexity, simpleEstimator } = createRequire(import.meta.url)(
  'graphql-query-complexity',
) as typeof QueryComplexity;

/** Most cost one operation may have (see {@link queryCost}). */
export const MAX_QUERY_COST = 10_000;

/** Cost of one `prediction` field: it may run the model. */
const PREDICTION_COST = 10;

/**
 * Cost estimator: each field costs 1 plus its children; a list field with a `first` argument
 * multiplies its children by `first` (default 20, as `clips`); `prediction` costs 10.
 */
const estimator: ComplexityEstimator = ({ field, args, childComplexity }) => {
  const own = field.name === 'prediction' ? PREDICTION_COST : 1;
  const first = typeof args['first'] === 'number' ? args['first'] : field.name === 'clips' ? 20 : 1;
  return own + Math.max(1, first) * childComplexity;
};

/**
 * Apollo plugin that refuses an operation whose cost exceeds `max` before it runs (400,
 * `extensions.code` QUERY_TOO_COMPLEX): thousands of aliases or huge pages would otherwise hold the
 * event loop and memory (graphql-query-complexity's static analysis, as type-graphql documents).
 */
export function queryCostPlugin<T extends object>(schema: GraphQLSchema, max = MAX_QUERY_COST): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document }) {
          let cost: number;
          try {
            cost = getComplexity({
              schema,
              query: document,
              variables: request.variables ?? {},
              ...(request.operationName === undefined || request.operationName === null
                ? {}
                : { operationName: request.operationName }),
              estimators: [estimator, simpleEstimator({ defaultComplexity: 1 })],
            });
          } catch (error) {
            // getComplexity coerces the variables first: a bad or missing variable is the client's
            // error (400, as Apollo answers it when it finds it itself), not a server failure.
            if (error instanceof GraphQLError)
              throw new GraphQLError(error.message, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
            throw error;
          }
          if (cost > max) {
            throw new GraphQLError(
              `the query costs ${cost}, more than the limit of ${max}: ask for fewer clips, fields or aliases per request`,
              { extensions: { code: 'QUERY_TOO_COMPLEX', http: { status: 400 } } },
            );
          }
        },
      };
    },
  };
}
