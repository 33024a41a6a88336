import { Arg, Ctx, Int, Query, Resolver } from 'type-graphql';
import { LABELS } from '../labels/index.js';
import type { ScoredClip } from '../serving/index.js';
import type { KwsContext } from './context.js';
import { PredictionDiffType, ScoredClipType, TrainSplitEnum } from './dashboard.type.js';

function scoredType(clip: ScoredClip): ScoredClipType {
  return {
    clip: clip.clip,
    trueLabel: clip.trueLabel,
    label: clip.label,
    confidence: clip.confidence,
    probabilities: clip.probabilities.map((probability, i) => ({ label: LABELS[i] ?? 'unknown', probability })),
    error: clip.error,
  };
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
  ): Promise<ScoredClipType[]> {
    return (await ctx.dashboard.hardExamples(version, split, first)).map(scoredType);
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
