import 'reflect-metadata';
import { lexicographicSortSchema, printSchema } from 'graphql';
import type { GraphQLSchema } from 'graphql';
import { buildSchemaSync } from 'type-graphql';
import { AuditResolver } from './audit.resolver.js';
import { ClipResolver } from './clip.resolver.js';
import { DashboardResolver } from './dashboard.resolver.js';
import { JobResolver } from './job.resolver.js';
import { ModelVersionResolver } from './model-version.resolver.js';

let schema: GraphQLSchema | null = null;

/** The GraphQL schema, built once from the type-graphql resolvers (code first). */
export function kwsSchema(): GraphQLSchema {
  schema ??= buildSchemaSync({
    resolvers: [ClipResolver, ModelVersionResolver, JobResolver, DashboardResolver, AuditResolver],
    validate: false,
  });
  return schema;
}

/** SDL of {@link kwsSchema}, sorted, as committed in `schema/schema.graphql` (`npm run schema`). */
export function printKwsSchema(): string {
  return `${printSchema(lexicographicSortSchema(kwsSchema()))}\n`;
}
