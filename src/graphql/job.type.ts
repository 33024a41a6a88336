import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { JobStatus } from '../jobs/index.js';

/** Job lifecycle as a GraphQL enum. */
export enum JobStatusEnum {
  QUEUED = 'QUEUED',
  RUNNING = 'RUNNING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
}
registerEnumType(JobStatusEnum, { name: 'JobStatus', description: 'QUEUED -> RUNNING -> SUCCEEDED | FAILED | CANCELLED.' });

@ObjectType('Job', { description: 'A background job (bulk scoring). Poll job(id) for progress.' })
export class JobType {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'What the job does: score.' })
  kind!: string;

  @Field(() => JobStatusEnum)
  status!: JobStatus;

  @Field(() => Int, { description: 'Clips done, failed ones included.' })
  processed!: number;

  @Field(() => Int, { description: 'Clips that failed to decode (they get a fallback label and a row in errors.csv).' })
  failed!: number;

  @Field(() => Int, { description: 'Clips in all; 0 until listed.' })
  total!: number;

  @Field(() => Float)
  clipsPerSecond!: number;

  @Field(() => Float, { nullable: true })
  etaSeconds!: number | null;

  @Field(() => String, { nullable: true, description: 'Why it FAILED.' })
  error!: string | null;

  @Field(() => Int, { nullable: true, description: 'The model version it scores with.' })
  modelVersion!: number | null;

  @Field(() => String, { nullable: true, description: 'Path of the submission CSV on this server (GET it) once SUCCEEDED.' })
  outputUrl!: string | null;

  @Field(() => String, { nullable: true, description: 'Path of the probabilities CSV once SUCCEEDED (when requested).' })
  probabilitiesUrl!: string | null;

  @Field(() => String, { nullable: true, description: 'Path of the CSV of files that failed to decode, once SUCCEEDED.' })
  errorsUrl!: string | null;

  @Field(() => String)
  createdAt!: string;

  @Field(() => String, { nullable: true })
  startedAt!: string | null;

  @Field(() => String, { nullable: true })
  finishedAt!: string | null;
}

@InputType({ description: 'A Kaggle test folder to score into a submission.' })
export class ScoreTestSetInput {
  @Field(() => String, { description: 'Absolute path of the folder (audio/*.wav), inside a root the server may score.' })
  dir!: string;

  @Field(() => Int, { nullable: true, description: 'Default: production.' })
  modelVersion?: number | null;

  @Field(() => Float, { nullable: true, description: "Overrides the version's calibrated unknown threshold (max-softmax probability, 0 to 1)." })
  unknownThreshold?: number | null;

  @Field(() => Boolean, { nullable: true, description: 'Also write all 12 probabilities per clip. Default true.' })
  probabilities?: boolean | null;
}
