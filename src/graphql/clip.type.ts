import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { PredictionType } from './prediction.type.js';

@ObjectType('Clip', {
  description:
    'An uploaded clip. Its audio is stored under the data folder; `prediction` is computed on demand and cached per model version.',
})
export class ClipType {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: "The client's file name (metadata only)." })
  filename!: string;

  @Field(() => Int)
  sizeBytes!: number;

  @Field(() => String, { description: 'SHA-256 of the uploaded bytes, hex.' })
  sha256!: string;

  @Field(() => String, { description: 'wav, flac, mp3, ogg or webm.' })
  container!: string;

  @Field(() => String, { description: "Codec in ffmpeg's vocabulary, e.g. pcm_s16le." })
  codec!: string;

  @Field(() => Int)
  sourceSampleRateHz!: number;

  @Field(() => Float, { description: 'Decoded duration before fitting to 1 s, ms.' })
  durationMs!: number;

  @Field(() => String, { description: 'Upload time, ISO 8601.' })
  createdAt!: string;
}

@ObjectType({ description: 'Relay-style page information.' })
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

@ObjectType()
export class ClipEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => ClipType)
  node!: ClipType;
}

@ObjectType({ description: 'A page of clips in upload order.' })
export class ClipConnection {
  @Field(() => [ClipEdge])
  edges!: ClipEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int, { description: 'Clips matching the filter, all pages.' })
  totalCount!: number;
}

@ObjectType({ description: 'A file that could not be classified.' })
export class UploadError {
  @Field(() => String, { description: 'A stable error code, e.g. NOT_AUDIO.' })
  code!: string;

  @Field(() => String)
  message!: string;
}

@ObjectType({ description: 'One uploaded file: the stored clip, or why it was refused.' })
export class ClipUploadResult {
  @Field(() => String)
  filename!: string;

  @Field(() => ClipType, {
    nullable: true,
    description:
      'The stored clip; its prediction(...) field resolves with its own arguments (default production, calibrated thresholds).',
  })
  clip!: ClipType | null;

  @Field(() => PredictionType, {
    nullable: true,
    description: "The prediction under this request's modelVersion and threshold overrides.",
  })
  prediction!: PredictionType | null;

  @Field(() => UploadError, { nullable: true })
  error!: UploadError | null;
}
