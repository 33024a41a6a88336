import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, valueFromASTUntyped } from 'graphql';
import type { DocumentNode, FieldNode, OperationTypeNode, SelectionSetNode } from 'graphql';
import { principalScope, scopeAllows } from '../storage/index.js';
import type { AuditLog, Principal, Scope } from '../storage/index.js';
import type { KwsContext } from './context.js';

/**
 * The scope each root field needs, declared once for the whole schema (a test checks that it names
 * every Query and Mutation field and nothing else). A root field missing here needs `admin`: new
 * fields are closed until someone decides. Introspection (`__schema`, `__type`, `__typename`)
 * needs only a live key.
 */
export const ROOT_FIELD_SCOPES = {
  query: {
    clip: 'predict',
    clips: 'predict',
    modelVersion: 'read',
    modelVersions: 'read',
    job: 'read',
    jobs: 'read',
    hardExamples: 'read',
    lowConfidenceClips: 'read',
    clusterMap: 'read',
    predictionDiff: 'read',
    auditLog: 'admin',
  },
  mutation: {
    classifyClips: 'predict',
    promoteModelVersion: 'admin',
    archiveModelVersion: 'admin',
    removeAlias: 'admin',
    retrain: 'admin',
    createEnsemble: 'admin',
    importModelVersion: 'admin',
    startSearch: 'admin',
    scoreTestSet: 'admin',
    cancelJob: 'admin',
  },
} as const satisfies Record<'query' | 'mutation', Record<string, Scope>>;

/**
 * Mutations the audit log leaves out: uploads, which are recorded with their owner as clips (one
 * row per request there would cost every upload a second write).
 */
const NOT_AUDITED: ReadonlySet<string> = new Set(['classifyClips']);

/** The scope a root field of an operation type needs (see {@link ROOT_FIELD_SCOPES}). */
export function requiredScope(
  operation: OperationTypeNode | 'query' | 'mutation' | 'subscription',
  field: string,
): Scope {
  if (field.startsWith('__')) return 'predict';
  const table: Readonly<Record<string, Scope>> | undefined =
    operation === 'query' ? ROOT_FIELD_SCOPES.query : operation === 'mutation' ? ROOT_FIELD_SCOPES.mutation : undefined;
  return table?.[field] ?? 'admin';
}

/** The root field nodes of a selection set, through inline fragments and fragment spreads. */
export function rootFields(selectionSet: SelectionSetNode, document: DocumentNode): FieldNode[] {
  const fragments = new Map(
    document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])),
  );
  const out: FieldNode[] = [];
  const seen = new Set<string>();
  const walk = (set: SelectionSetNode): void => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) out.push(selection);
      else if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet);
      else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment !== undefined) walk(fragment.selectionSet);
      }
    }
  };
  walk(selectionSet);
  return out;
}

const who = (principal: Principal): string => (principal.kind === 'open' ? 'open' : JSON.stringify(principal.key.name));

/**
 * Apollo plugin: before an operation runs, each of its root fields is checked against
 * {@link ROOT_FIELD_SCOPES} with the request's principal; one field out of scope refuses the whole
 * operation (403, `extensions.code` FORBIDDEN, nothing executed). After it, every mutation field
 * (but uploads) is appended to the audit log with the key, its arguments and how it ended (`ok` or
 * the error code), refused ones included.
 */
export function authorizationPlugin(audit: AuditLog): ApolloServerPlugin<KwsContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, contextValue }) {
          if (operation === undefined) return; // Apollo answers a document without a runnable operation itself
          if (operation.operation === 'subscription')
            throw new GraphQLError('this server has no subscriptions: send a query or a mutation', {
              extensions: { code: 'INVALID_ARGUMENT', httpStatus: 400, http: { status: 400 } },
            });
          const have = principalScope(contextValue.principal);
          const denied = rootFields(operation.selectionSet, document)
            .map((f) => ({ field: f.name.value, need: requiredScope(operation.operation, f.name.value) }))
            .filter(({ need }) => !scopeAllows(have, need));
          if (denied.length > 0)
            throw new GraphQLError(
              `key ${who(contextValue.principal)} has the ${have} scope; ${denied
                .map(({ field, need }) => `${field} needs ${need}`)
                .join(', ')}`,
              { extensions: { code: 'FORBIDDEN', httpStatus: 403, http: { status: 403 } } },
            );
        },
        async willSendResponse({ operation, document, response, contextValue, request }) {
          if (
            operation === undefined ||
            operation === null ||
            operation.operation !== 'mutation' ||
            document === undefined
          )
            return;
          const errors = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          const codeOf = (e: (typeof errors)[number]): string => String(e.extensions?.['code'] ?? 'INTERNAL');
          const requestError = errors.find((e) => e.path === undefined);
          const { principal } = contextValue;
          for (const field of rootFields(operation.selectionSet, document)) {
            if (NOT_AUDITED.has(field.name.value) || field.name.value.startsWith('__')) continue;
            const key = field.alias?.value ?? field.name.value;
            const fieldError = errors.find((e) => e.path?.[0] === key);
            const failed = requestError ?? fieldError;
            const args = Object.fromEntries(
              (field.arguments ?? []).map((a) => [a.name.value, valueFromASTUntyped(a.value, request.variables)]),
            );
            try {
              audit.record({
                keyId: principal.kind === 'key' ? principal.key.id : null,
                keyName: principal.kind === 'key' ? principal.key.name : null,
                action: field.name.value,
                arguments: auditJson({ arguments: args, variables: request.variables ?? {} }),
                outcome: failed === undefined ? 'ok' : codeOf(failed),
              });
            } catch (error) {
              // The mutation has run: a failed audit write is the server's to report, not the client's answer.
              contextValue.log(error);
            }
          }
        },
      };
    },
  };
}

/** Most characters of one audit row's arguments; longer strings inside are cut, so the row stays JSON. */
const AUDIT_MAX_STRING = 500;

/**
 * Arguments and variables as the audit log keeps them: JSON, an upload as `[upload]` (graphql-upload's
 * `Upload`: a promise and its resolvers), strings longer than 500 characters cut with `…`.
 */
export function auditJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'object' && v !== null && 'promise' in v && 'resolve' in v) return '[upload]';
    if (typeof v === 'string' && v.length > AUDIT_MAX_STRING) return `${v.slice(0, AUDIT_MAX_STRING)}…`;
    return v;
  });
}
