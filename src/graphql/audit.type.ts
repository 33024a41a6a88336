import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType('AuditEntry', { description: 'One state-changing mutation: who asked, what, when, and how it ended.' })
export class AuditEntryType {
  @Field(() => Int)
  id!: number;

  @Field(() => String, { description: 'When it finished, ISO 8601.' })
  at!: string;

  @Field(() => Int, { nullable: true, description: 'The API key; null on a server without keys.' })
  keyId!: number | null;

  @Field(() => String, { nullable: true })
  keyName!: string | null;

  @Field(() => String, { description: 'The mutation field, e.g. promoteModelVersion.' })
  action!: string;

  @Field(() => String, { description: 'Its arguments and variables, as JSON.' })
  arguments!: string;

  @Field(() => String, { description: 'ok, or the error code it ended with (FORBIDDEN, NOT_FOUND, ...).' })
  outcome!: string;
}
