import { Arg, Ctx, Int, Query, Resolver } from 'type-graphql';
import { LABELS } from '../labels/index.js';
import type { Label } from '../labels/index.js';
import type { ScoredClip } from '../serving/index.js';
import type { KwsContext } from './context.js';
import type { ClusterSourceEnum } from './dashboard.type.js';
import { ClusterMapType, PredictionDiffType, ScoredClipType, TrainSplitEnum } from './dashboard.type.js';
import { LabelEnum } from './enums.js';

function scoredType(clip: ScoredClip): ScoredClipType {
  return {
    clip: clip.clip,
    trueLabel: clip.trueLabel,
    label: clip.label,
    confidence: clip.confidence,
    probabilities: clip.probabilities.map((probability, i) => ({ label: LABELS[i] ?? 'unknown', probability })),
    error: clip.error,
    audioUrl: audioUrl(clip.path),
  };
}

/** An optional folder argument checked against the allowed roots (see `JobRunner.allowedDir`); null stays null. */
function optionalDir(ctx: KwsContext, dir: string | null | undefined): string | null {
  return dir === null || dir === undefined ? null : ctx.jobs.allowedDir(dir);
}

/** The URL of `GET /v1/audio` for a clip file (the HTTP layer checks the path against the allowed roots). */
export function audioUrl(path: string): string {
  return `/v1/audio?path=${encodeURIComponent(path)}`;
}

@Resolver()
export class DashboardResolver {
  @Query(() => [ScoredClipType], {
    description:
      "The clips of a version's own training or validation split it gets wrong (most confidently wrong first), then its least confident right ones.",
  })
  async hardExamples(
    @Arg('version', () => Int) version: number,
    @Arg('split', () => TrainSplitEnum) split: TrainSplitEnum,
    @Ctx() ctx: KwsContext,
    @Arg('first', () => Int, { defaultValue: 20, description: '1 to 1000.' }) first: number,
    @Arg('dataDir', () => String, {
      nullable: true,
      description:
        "A labelled folder to split and score instead of the version's own training data (inside a root the server may read).",
    })
    dataDir: string | null,
    @Arg('trueLabel', () => LabelEnum, { nullable: true, description: 'Only clips of this true label.' })
    trueLabel: Label | null,
    @Arg('label', () => LabelEnum, { nullable: true, description: 'Only clips the version answers with this label.' })
    label: Label | null,
  ): Promise<ScoredClipType[]> {
    return (
      await ctx.dashboard.hardExamples(version, split, first, { dataDir: optionalDir(ctx, dataDir), trueLabel, label })
    ).map(scoredType);
  }

  @Query(() => ClusterMapType, {
    description:
      "A 2-D map (PCA) of a version's embeddings for an even sample of each split of a labelled dataset (default: its own training data, when on this machine) and of a test folder, with its answer for each clip.",
  })
  async clusterMap(
    @Arg('version', () => Int) version: number,
    @Ctx() ctx: KwsContext,
    @Arg('dataDir', () => String, { nullable: true, description: 'A labelled folder (inside an allowed root).' })
    dataDir: string | null,
    @Arg('testDir', () => String, {
      nullable: true,
      description: 'An unlabelled folder of clips (inside an allowed root).',
    })
    testDir: string | null,
    @Arg('perSource', () => Int, { defaultValue: 100, description: 'Clips sampled from each source, 1 to 500.' })
    perSource: number,
  ): Promise<ClusterMapType> {
    const map = await ctx.dashboard.clusterMap(version, {
      dataDir: optionalDir(ctx, dataDir),
      testDir: optionalDir(ctx, testDir),
      perSource,
    });
    return {
      ...map,
      explainedVariance: [...map.explainedVariance],
      points: map.points.map((p) => ({
        clip: p.clip,
        source: p.source as ClusterSourceEnum,
        trueLabel: p.trueLabel,
        label: p.label,
        confidence: p.confidence,
        x: p.x,
        y: p.y,
        audioUrl: audioUrl(p.path),
      })),
    };
  }

  @Query(() => [ScoredClipType], {
    description:
      'Clips of a test folder (inside a root the server may read) with the lowest max-softmax probability under a version.',
  })
  async lowConfidenceClips(
    @Arg('version', () => Int) version: number,
    @Arg('dir', () => String) dir: string,
    @Ctx() ctx: KwsContext,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
  ): Promise<ScoredClipType[]> {
    return (await ctx.dashboard.lowConfidence(version, ctx.jobs.allowedDir(dir), first)).map(scoredType);
  }

  @Query(() => [PredictionDiffType], {
    description: 'Clips of a test folder whose label differs between two versions, with both predictions.',
  })
  async predictionDiff(
    @Arg('versionA', () => Int) versionA: number,
    @Arg('versionB', () => Int) versionB: number,
    @Arg('dir', () => String) dir: string,
    @Ctx() ctx: KwsContext,
    @Arg('first', () => Int, { defaultValue: 100 }) first: number,
  ): Promise<PredictionDiffType[]> {
    return (await ctx.dashboard.diff(versionA, versionB, ctx.jobs.allowedDir(dir), first)).map((d) => ({
      clip: d.a.clip,
      a: scoredType(d.a),
      b: scoredType(d.b),
    }));
  }
}
