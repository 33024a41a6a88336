import { Field, Float, InputType, Int } from 'type-graphql';
import { FeaturesInput } from './job.type.js';

@InputType({ description: 'An ensemble of ready versions to register as a new version (kws ensemble create).' })
export class EnsembleInput {
  @Field(() => [Int], { description: 'Two or more distinct ready versions of one label order and feature config.' })
  members!: number[];

  @Field(() => [Float], {
    nullable: true,
    description: 'One weight per member, >= 0, normalised to sum 1 (default equal); unequal weights need mean-logit.',
  })
  weights?: number[] | null;

  @Field(() => String, {
    nullable: true,
    description: 'mean-logit (default: the weighted mean of the members’ logits at their temperatures) or mean-prob.',
  })
  combine?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'Clips to calibrate on, inside the server’s allowed roots: a Speech Commands dataset (validation; testing is scored) or a folder with audio/ and labels.csv. Default: the first member’s training data.',
  })
  dataDir?: string | null;
}

@InputType({ description: 'An ONNX model trained elsewhere to check and register as a new version (kws import).' })
export class ImportModelInput {
  @Field(() => String, { description: 'The .onnx file, an absolute path inside the server’s allowed roots.' })
  file!: string;

  @Field(() => FeaturesInput, {
    nullable: true,
    description: 'The feature config its input was computed with; omitted fields keep the defaults (98 × 40 log-mel).',
  })
  features?: FeaturesInput | null;

  @Field(() => [String], {
    nullable: true,
    description: 'The model’s output classes in its order, the 12 labels each once (default kws-serve’s order).',
  })
  labels?: string[] | null;

  @Field(() => String, { nullable: true, description: 'What its output holds: logits (default) or probabilities.' })
  output?: string | null;

  @Field(() => String, { nullable: true, description: 'Its class scores output, when it has several outputs.' })
  outputName?: string | null;

  @Field(() => String, {
    description:
      'Clips to calibrate on, inside the server’s allowed roots: a Speech Commands dataset or a folder with audio/ and labels.csv.',
  })
  dataDir!: string;
}
