import { Field, Float, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';

/** Search strategies. */
export enum SearchStrategyEnum {
  RANDOM = 'RANDOM',
  TPE = 'TPE',
}
registerEnumType(SearchStrategyEnum, {
  name: 'SearchStrategy',
  description: 'RANDOM sampling, or the Tree-structured Parzen Estimator (Bergstra et al. 2011) after 3 random trials.',
});

/** What a search maximises. */
export enum SearchMetricEnum {
  VALIDATION_ACCURACY = 'validationAccuracy',
  CALIBRATED_ACCURACY = 'calibratedAccuracy',
}
registerEnumType(SearchMetricEnum, {
  name: 'SearchMetric',
  description: "A trial's validation 12-class accuracy, without or with its calibrated thresholds.",
});

@InputType({ description: 'A closed range [min, max].' })
export class RangeInput {
  @Field(() => Float)
  min!: number;

  @Field(() => Float)
  max!: number;
}

@InputType({
  description:
    'What a search varies; omitted parameters keep their defaults. Rates (learningRate, l2) are searched on a log scale.',
})
export class SearchSpaceInput {
  @Field(() => [String], {
    nullable: true,
    description:
      'Architectures to choose from (width and depth): lenet, tc-resnet8, tc-resnet14, tc-resnet14-wide, matchboxnet-3x1x64.',
  })
  architectures?: string[] | null;

  @Field(() => RangeInput, { nullable: true, description: 'Adam learning rate (log scale).' })
  learningRate?: RangeInput | null;

  @Field(() => RangeInput, { nullable: true, description: 'Dropout before the classifier.' })
  dropout?: RangeInput | null;

  @Field(() => RangeInput, { nullable: true, description: 'L2 weight decay (log scale).' })
  l2?: RangeInput | null;

  @Field(() => RangeInput, { nullable: true, description: 'Probability of mixing background noise.' })
  noiseProbability?: RangeInput | null;

  @Field(() => RangeInput, { nullable: true, description: 'Largest time shift, ms.' })
  timeShiftMs?: RangeInput | null;

  @Field(() => RangeInput, { nullable: true, description: 'Probability of a speed change.' })
  speedProbability?: RangeInput | null;
}

@InputType({ description: 'A hyperparameter search: each trial trains a model version.' })
export class SearchInput {
  @Field(() => String, {
    description: 'Absolute path of a Speech Commands dataset, inside a root the server may read.',
  })
  dataDir!: string;

  @Field(() => SearchSpaceInput)
  space!: SearchSpaceInput;

  @Field(() => SearchStrategyEnum, { defaultValue: SearchStrategyEnum.TPE })
  strategy!: SearchStrategyEnum;

  @Field(() => Int, { description: 'Trials to run, 1 to 100.' })
  trials!: number;

  @Field(() => SearchMetricEnum, { nullable: true, description: 'Default validationAccuracy.' })
  metric?: SearchMetricEnum | null;

  @Field(() => Int, { nullable: true, description: 'Epochs per trial (default 10).' })
  epochs?: number | null;

  @Field(() => Int, { nullable: true })
  batchSize?: number | null;

  @Field(() => Int, { nullable: true })
  patience?: number | null;

  @Field(() => Int, { nullable: true, description: 'Seed of the suggestions and of every trial (default 1).' })
  seed?: number | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'Train even when the training split lacks some of the 12 classes (default false).',
  })
  allowMissingClasses?: boolean | null;
}

@ObjectType('SearchParameter', { description: 'One hyperparameter of a trial.' })
export class SearchParameterType {
  @Field(() => String)
  name!: string;

  @Field(() => String, { description: 'The value, as text (numbers in full precision).' })
  value!: string;
}

@ObjectType('SearchTrial', { description: 'One row of the trial table.' })
export class SearchTrialType {
  @Field(() => Int)
  trial!: number;

  @Field(() => String, { description: 'RUNNING, SUCCEEDED, FAILED or CANCELLED.' })
  status!: string;

  @Field(() => [SearchParameterType])
  parameters!: SearchParameterType[];

  @Field(() => Int, { nullable: true, description: 'The model version the trial made.' })
  version!: number | null;

  @Field(() => Float, { nullable: true })
  metric!: number | null;

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'The kws worker that ran it (host:pid) with a Redis queue; null in the server.',
  })
  worker!: string | null;

  @Field(() => String, { nullable: true, description: 'When it started (ISO 8601).' })
  startedAt!: string | null;

  @Field(() => String, { nullable: true, description: 'When it ended (ISO 8601).' })
  finishedAt!: string | null;
}

@ObjectType('SearchResult', { description: 'The trial table of a search and its best trial so far.' })
export class SearchResultType {
  @Field(() => SearchStrategyEnum)
  strategy!: SearchStrategyEnum;

  @Field(() => SearchMetricEnum)
  metric!: SearchMetricEnum;

  @Field(() => SearchTrialType, { nullable: true })
  best!: SearchTrialType | null;

  @Field(() => [SearchTrialType])
  trials!: SearchTrialType[];
}
