import { Arg, Ctx, Int, Query, Resolver } from 'type-graphql';
import { describeValue, KwsError } from '../errors/index.js';
import { AuditEntryType } from './audit.type.js';
import type { KwsContext } from './context.js';

@Resolver()
export class AuditResolver {
  @Query(() => [AuditEntryType], {
    description: 'The audit log of state-changing mutations, newest first (admin scope).',
  })
  auditLog(
    @Ctx() ctx: KwsContext,
    @Arg('first', () => Int, { defaultValue: 50, description: '1 to 1000.' }) first: number,
  ): AuditEntryType[] {
    if (!Number.isInteger(first) || first < 1 || first > 1000)
      throw new KwsError('INVALID_ARGUMENT', `first must be from 1 to 1000, got ${describeValue(first)}`);
    return ctx.audit.recent(first).map((e) => ({ ...e }));
  }
}
