import { Arg, Ctx, FieldResolver, Float, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import GraphQLUpload from 'graphql-upload/GraphQLUpload.mjs';
import type { FileUpload } from 'graphql-upload/processRequest.mjs';
import type { Label } from '../labels/index.js';
import {
  describeValue,
  fileTooLarge,
  fromMultipartError,
  httpStatusFor,
  KwsError,
  toClientError,
  UNNAMED_FILE,
} from '../errors/index.js';
import { parseRecordId, viewShape } from '../serving/index.js';
import { canSeeClip, principalKeyId, sanitizeFilename, seesEveryClip } from '../storage/index.js';
import type { ClipRecord } from '../storage/index.js';
import type { PredictionView } from '../serving/index.js';
import { ClipConnection, ClipType, ClipUploadResult } from './clip.type.js';
import type { KwsContext } from './context.js';
import { LabelEnum, UnknownScoreEnum } from './enums.js';
import { PredictionType, thresholdsType } from './prediction.type.js';

/** A stored clip as the `Clip` type. */
export function clipType(record: ClipRecord): ClipType {
  return { ...record, id: String(record.id) };
}

/** A prediction view as the `Prediction` type. */
export function predictionType(view: PredictionView): PredictionType {
  return {
    ...view,
    probabilities: view.probabilities.map((p) => ({ ...p })),
    thresholds: thresholdsType(view.thresholds),
  };
}

/** What the `nonSpeechRule` argument does. */
const NON_SPEECH_RULE_ARGUMENT =
  'false: the non-speech rule does not apply, so a tone the model hears as a command is answered with that command (default true; see the reason NON_SPEECH).';

const encodeCursor = (id: number): string => Buffer.from(`clip:${id}`).toString('base64url');

function decodeCursor(cursor: string): number {
  const match = /^clip:([0-9]{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (match === null)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `after must be the endCursor of a previous page, got ${describeValue(cursor.slice(0, 64))}${cursor.length > 64 ? ' (cut)' : ''}`,
    );
  return Number(match[1]);
}

/**
 * The bytes of one upload. A file over the limit (graphql-upload's 413) is `TOO_LARGE` naming the
 * limit; another read error goes through `fromMultipartError`.
 */
async function readUpload(file: FileUpload, maxFileBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of file.createReadStream()) chunks.push(chunk as Buffer);
  } catch (error) {
    // graphql-upload's "File truncated as it exceeds the limit" is an http-errors 413.
    if ((error as { status?: unknown } | null)?.status === 413)
      throw fileTooLarge(sanitizeFilename(file.filename), maxFileBytes);
    throw fromMultipartError(error);
  }
  return Buffer.concat(chunks);
}

@Resolver(() => ClipType)
export class ClipResolver {
  @Query(() => ClipType, {
    nullable: true,
    description:
      "One clip by id; null when there is none, or when it is another key's and this key has only the predict scope.",
  })
  clip(@Arg('id', () => ID) id: string, @Ctx() ctx: KwsContext): ClipType | null {
    const numeric = parseRecordId(id);
    const record = numeric === null ? null : ctx.service.store.get([numeric])[0];
    return record === null || record === undefined || !canSeeClip(ctx.principal, record.ownerKeyId)
      ? null
      : clipType(record);
  }

  @Query(() => ClipConnection, {
    description:
      'Clips in upload order, a page at a time (a key with only the predict scope sees its own); `label` keeps those that `modelVersion` (default production) labelled so under its calibrated thresholds.',
  })
  clips(
    @Ctx() ctx: KwsContext,
    @Arg('first', () => Int, { defaultValue: 20, description: 'Page size, 1 to 100.' }) first: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' })
    after?: string | null,
    @Arg('label', () => LabelEnum, { nullable: true }) label?: Label | null,
    @Arg('modelVersion', () => Int, { nullable: true }) modelVersion?: number | null,
  ): ClipConnection {
    if (!Number.isInteger(first) || first < 1 || first > 100)
      throw new KwsError('INVALID_ARGUMENT', `first must be from 1 to 100, got ${describeValue(first)}`);
    const afterId = after === undefined || after === null ? 0 : decodeCursor(after);
    const version = (label ?? modelVersion ?? null) === null ? 0 : ctx.service.version(modelVersion).version; // an unknown version is refused even without label
    const page = ctx.service.store.page({
      first,
      afterId,
      modelVersion: version,
      ...(label === undefined || label === null ? {} : { label }),
      ...(seesEveryClip(ctx.principal) ? {} : { ownerKeyId: principalKeyId(ctx.principal) as number }),
    });
    const edges = page.clips.map((clip) => ({ cursor: encodeCursor(clip.id), node: clipType(clip) }));
    return {
      edges,
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null },
      totalCount: page.totalCount,
    };
  }

  @FieldResolver(() => PredictionType, {
    description:
      "A model version's prediction (default production), with its calibrated thresholds unless overridden. Cached per clip and version.",
  })
  async prediction(
    @Root() clip: ClipType,
    @Ctx() ctx: KwsContext,
    @Arg('modelVersion', () => Int, { nullable: true }) modelVersion?: number | null,
    @Arg('unknownThreshold', () => Float, {
      nullable: true,
      description: 'Max-softmax probability below which the label becomes unknown, 0 to 1.',
    })
    unknownThreshold?: number | null,
    @Arg('silenceThresholdDbfs', () => Float, {
      nullable: true,
      description: 'RMS level below which the label becomes silence, dBFS (at most 0).',
    })
    silenceThresholdDbfs?: number | null,
    @Arg('unknownScore', () => UnknownScoreEnum, {
      nullable: true,
      description: "Which score decides unknown (default: the version's calibrated choice).",
    })
    unknownScore?: UnknownScoreEnum | null,
    @Arg('unknownEnergyThreshold', () => Float, {
      nullable: true,
      description: 'Energy score above which the label becomes unknown, with unknownScore ENERGY.',
    })
    unknownEnergyThreshold?: number | null,
    @Arg('nonSpeechRule', () => Boolean, { nullable: true, description: NON_SPEECH_RULE_ARGUMENT })
    nonSpeechRule?: boolean | null,
  ): Promise<PredictionType> {
    const version = ctx.service.version(modelVersion).version;
    const thresholds = ctx.service.thresholds(version, {
      unknownThreshold,
      silenceThresholdDbfs,
      unknownScore: unknownScore ?? null,
      unknownEnergyThreshold,
      nonSpeechRule: nonSpeechRule ?? null,
    });
    const stored = await ctx.predictions.load({ clipId: Number(clip.id), modelVersion: version });
    return predictionType(ctx.service.view(stored, thresholds));
  }

  @Mutation(() => [ClipUploadResult], {
    description:
      'Uploads clips (GraphQL multipart request spec; send the Apollo-Require-Preflight header), stores and classifies them. Query `clip.prediction` for the result.',
  })
  async classifyClips(
    @Ctx() ctx: KwsContext,
    @Arg('files', () => [GraphQLUpload]) files: Array<Promise<FileUpload>>,
    @Arg('modelVersion', () => Int, { nullable: true }) modelVersion?: number | null,
    @Arg('unknownThreshold', () => Float, { nullable: true }) unknownThreshold?: number | null,
    @Arg('silenceThresholdDbfs', () => Float, { nullable: true }) silenceThresholdDbfs?: number | null,
    @Arg('unknownScore', () => UnknownScoreEnum, { nullable: true }) unknownScore?: UnknownScoreEnum | null,
    @Arg('unknownEnergyThreshold', () => Float, { nullable: true }) unknownEnergyThreshold?: number | null,
    @Arg('nonSpeechRule', () => Boolean, { nullable: true, description: NON_SPEECH_RULE_ARGUMENT })
    nonSpeechRule?: boolean | null,
    @Arg('tta', () => Boolean, {
      nullable: true,
      description:
        'Test-time augmentation: the answer averages the clip, 100 ms earlier, 100 ms later and 6 dB louder (4x the inference); false: none; null: the version’s own (kws calibrate --tta). The stored prediction stays the clip’s own.',
    })
    tta?: boolean | null,
  ): Promise<ClipUploadResult[]> {
    if (files.length === 0) throw new KwsError('INVALID_ARGUMENT', 'files must hold at least one upload');
    const version = ctx.service.version(modelVersion).version;
    const thresholds = {
      unknownThreshold,
      silenceThresholdDbfs,
      unknownScore: unknownScore ?? null,
      unknownEnergyThreshold,
      nonSpeechRule: nonSpeechRule ?? null,
    };
    ctx.service.thresholds(version, thresholds);
    const results = await Promise.all(
      files.map(async (upload): Promise<ClipUploadResult> => {
        let filename = 'unnamed';
        const count = (outcome: string): void => ctx.onUpload?.(outcome);
        try {
          // The upload's promise rejects when the body cannot be parsed: the client's error.
          const file = await upload.catch((error: unknown) => {
            throw fromMultipartError(error);
          });
          filename = sanitizeFilename(file.filename);
          // As REST, where multer does not take a part without a file name as a file.
          if ((file.filename ?? '') === '') throw new KwsError('INVALID_ARGUMENT', UNNAMED_FILE);
          const bytes = await readUpload(file, ctx.maxFileBytes);
          const outcome = await ctx.service.classifyUpload(bytes, file.filename, {
            modelVersion: version,
            thresholds,
            ownerKeyId: principalKeyId(ctx.principal),
            tta: tta ?? null,
          });
          count(outcome.ok ? 'ok' : outcome.code);
          if (!outcome.ok)
            return {
              filename: outcome.filename,
              clip: null,
              prediction: null,
              error: { code: outcome.code, message: outcome.message },
            };
          // A TTA answer is not the clip's stored prediction: clip.prediction reads the stored one.
          const clip = outcome.clip;
          if (outcome.prediction.tta === null && clip !== null)
            ctx.predictions.prime(
              { clipId: clip.id, modelVersion: version },
              {
                clipId: clip.id,
                modelVersion: version,
                probabilities: outcome.prediction.probabilities.map((p) => p.probability),
                rmsDbfs: outcome.prediction.rmsDbfs,
                energy: outcome.prediction.energy ?? Number.NaN,
                shape: viewShape(outcome.prediction),
                label: outcome.prediction.label,
                latencyMs: outcome.prediction.latencyMs,
                topWord: outcome.prediction.topWord,
              },
            );
          return {
            filename: clip?.filename ?? filename,
            clip: clip === null ? null : clipType(clip),
            prediction: predictionType(outcome.prediction),
            error: null,
          };
        } catch (error) {
          const client = toClientError(error);
          if (client.masked) ctx.log(error);
          count(client.code);
          return { filename, clip: null, prediction: null, error: { code: client.code, message: client.message } };
        }
      }),
    );
    // As POST /v1/clips: 200 when a file was classified, else the first file's error status.
    const first = results[0]?.error;
    if (first !== null && first !== undefined && results.every((r) => r.error !== null))
      ctx.response.httpStatus = httpStatusFor(first.code);
    return results;
  }
}
