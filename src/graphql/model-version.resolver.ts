import { Arg, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import { describeValue, KwsError } from '../errors/index.js';
import { ENSEMBLE_COMBINES } from '../model/index.js';
import type { EnsembleCombine } from '../model/index.js';
import { featuresOf } from './job.resolver.js';
import { EnsembleInput, ImportModelInput } from './version-maker.type.js';
import { restoreThresholds } from '../registry/index.js';
import { versionTtaDescription } from '../serving/index.js';
import type { VersionRecord } from '../registry/index.js';
import type { KwsContext } from './context.js';
import { ModelVersionType } from './model-version.type.js';
import { thresholdsType } from './prediction.type.js';

function versionType(ctx: KwsContext, record: VersionRecord): ModelVersionType {
  const readable = record.state === 'ready' || record.state === 'archived';
  const manifest = readable ? ctx.service.registry.manifest(record.version) : null;
  const metrics = (m: NonNullable<typeof manifest>['metrics']['validation'] | null | undefined) =>
    m === null || m === undefined
      ? null
      : {
          ...m,
          perClass: m.perClass.map((c) => ({ ...c })),
          confusion: m.confusion.map((row) => [...row]),
          labels: [...m.labels],
          trust:
            m.trust === undefined
              ? null
              : {
                  ...m.trust,
                  reliability: m.trust.reliability.map((b) => ({ ...b })),
                  unknownRejection: m.trust.unknownRejection.map((x) => ({ ...x })),
                  nonSpeechRejection: m.trust.nonSpeechRejection.map((x) => ({ ...x })),
                },
        };
  return {
    version: record.version,
    state: record.state,
    architecture: record.architecture,
    ensemble:
      manifest?.ensemble === undefined
        ? null
        : {
            members: [...manifest.ensemble.members],
            weights: [...manifest.ensemble.weights],
            combine: manifest.ensemble.combine,
            memberTemperatures: [...manifest.ensemble.memberTemperatures],
            form: manifest.ensemble.form ?? 'graph',
          },
    words: manifest?.words === undefined ? null : [...manifest.words.vocabulary],
    tta: manifest === null ? null : versionTtaDescription(manifest),
    history: (manifest?.training.history ?? []).map((e) => ({ ...e })),
    bestEpoch: (manifest?.training.history ?? []).length === 0 ? null : (manifest?.training.bestEpoch ?? null),
    imported:
      manifest?.imported === undefined
        ? null
        : {
            source: manifest.imported.source,
            sha256: manifest.imported.sha256,
            bytes: manifest.imported.bytes,
            opset: manifest.imported.opset,
            inputName: manifest.imported.inputName,
            inputShape: [...manifest.imported.inputShape],
            layout: manifest.imported.layout,
            outputName: manifest.imported.outputName,
            output: manifest.imported.output,
            modelLabels: [...manifest.imported.modelLabels],
          },
    aliases: [...record.aliases],
    createdAt: record.createdAt,
    accuracy: record.accuracy,
    thresholds: manifest === null ? null : thresholdsType(restoreThresholds(manifest.thresholds)),
    validation: metrics(manifest?.metrics.validation),
    testing: metrics(manifest?.metrics.testing),
    calibration:
      manifest === null
        ? null
        : {
            accuracy: manifest.calibration.accuracy,
            baselineAccuracy: manifest.calibration.baselineAccuracy,
            unknownCurve: manifest.calibration.unknownCurve.map((p) => ({ ...p })),
            energyCurve: (manifest.calibration.energyCurve ?? []).map((p) => ({ ...p })),
            temperature: manifest.calibration.temperature ?? 1,
            operatingPoint:
              manifest.calibration.operatingPoint === undefined
                ? null
                : {
                    ...manifest.calibration.operatingPoint,
                    rules: manifest.calibration.operatingPoint.rules.map((x) => ({ ...x })),
                  },
            tradeOff: (manifest.calibration.tradeOff ?? []).map((t) => ({
              ...t,
              points: t.points.map((p) => ({ ...p })),
            })),
          },
  };
}

@Resolver(() => ModelVersionType)
export class ModelVersionResolver {
  @Query(() => [ModelVersionType], { description: 'Every model version, newest first.' })
  modelVersions(@Ctx() ctx: KwsContext): ModelVersionType[] {
    return ctx.service.registry.list().map((record) => versionType(ctx, record));
  }

  @Mutation(() => ModelVersionType, {
    description:
      'Points an alias (default production) at a ready version, after warming it on every engine thread; requests in flight are not dropped. Rollback is promoting an older version.',
  })
  async promoteModelVersion(
    @Arg('version', () => Int) version: number,
    @Ctx() ctx: KwsContext,
    @Arg('alias', () => String, { defaultValue: 'production' }) alias: string,
  ): Promise<ModelVersionType> {
    await ctx.service.promote(version, alias);
    return this.require(ctx, version);
  }

  @Mutation(() => ModelVersionType, {
    description:
      'Removes an alias (not production, which always names the serving version); answers the version it named, which stays as it was.',
  })
  removeAlias(@Arg('alias', () => String) alias: string, @Ctx() ctx: KwsContext): ModelVersionType {
    return this.require(ctx, ctx.service.removeAlias(alias));
  }

  @Mutation(() => ModelVersionType, {
    description: 'Archives a ready version that no alias names: kept on disk and listed, no longer served.',
  })
  archiveModelVersion(@Arg('version', () => Int) version: number, @Ctx() ctx: KwsContext): ModelVersionType {
    ctx.service.archive(version);
    return this.require(ctx, version);
  }

  @Mutation(() => ModelVersionType, {
    description:
      'Registers an ensemble of ready versions as a new version, calibrated on a dataset, in a worker thread (seconds); it serves once promoted. Archiving a member is then refused.',
  })
  async createEnsemble(
    @Arg('input', () => EnsembleInput) input: EnsembleInput,
    @Ctx() ctx: KwsContext,
  ): Promise<ModelVersionType> {
    const combine = input.combine ?? 'mean-logit';
    if (!(ENSEMBLE_COMBINES as readonly string[]).includes(combine))
      throw new KwsError(
        'INVALID_ARGUMENT',
        `unknown combine rule ${describeValue(combine)}; choose one of ${ENSEMBLE_COMBINES.join(', ')}`,
      );
    const version = await ctx.jobs.makeVersion({
      kind: 'ensemble',
      options: {
        members: input.members,
        combine: combine as EnsembleCombine,
        ...(input.weights === null || input.weights === undefined ? {} : { weights: input.weights }),
        ...(input.dataDir === null || input.dataDir === undefined ? {} : { dataDir: input.dataDir }),
      },
    });
    return this.require(ctx, version);
  }

  @Mutation(() => ModelVersionType, {
    description:
      'Checks an ONNX model trained elsewhere and registers it as a new version (architecture imported), calibrated on a dataset, in a worker thread (seconds); it serves once promoted. A model that fails a check is refused, naming it, and nothing is registered.',
  })
  async importModelVersion(
    @Arg('input', () => ImportModelInput) input: ImportModelInput,
    @Ctx() ctx: KwsContext,
  ): Promise<ModelVersionType> {
    const output = input.output ?? 'logits';
    if (output !== 'logits' && output !== 'probabilities')
      throw new KwsError('INVALID_ARGUMENT', `output must be logits or probabilities, got ${describeValue(output)}`);
    const version = await ctx.jobs.makeVersion({
      kind: 'import',
      options: {
        file: input.file,
        dataDir: input.dataDir,
        features: input.features === null || input.features === undefined ? {} : featuresOf(input.features),
        output,
        ...(input.labels === null || input.labels === undefined ? {} : { labels: input.labels }),
        ...(input.outputName === null || input.outputName === undefined ? {} : { outputName: input.outputName }),
      },
    });
    return this.require(ctx, version);
  }

  private require(ctx: KwsContext, version: number): ModelVersionType {
    const record = ctx.service.registry.list().find((r) => r.version === version);
    if (record === undefined) throw new KwsError('NOT_FOUND', `model version ${version} does not exist`);
    return versionType(ctx, record);
  }

  @Query(() => ModelVersionType, { nullable: true, description: 'One model version; null when there is none.' })
  modelVersion(@Arg('version', () => Int) version: number, @Ctx() ctx: KwsContext): ModelVersionType | null {
    const record = ctx.service.registry.list().find((r) => r.version === version);
    return record === undefined ? null : versionType(ctx, record);
  }
}
