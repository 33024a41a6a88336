import { Arg, Ctx, Int, Query, Resolver } from 'type-graphql';
import type { VersionRecord } from '../registry/index.js';
import type { KwsContext } from './context.js';
import { ModelVersionType } from './model-version.type.js';

function versionType(ctx: KwsContext, record: VersionRecord): ModelVersionType {
  const readable = record.state === 'ready' || record.state === 'archived';
  const manifest = readable ? ctx.service.registry.manifest(record.version) : null;
  const metrics = (m: NonNullable<typeof manifest>['metrics']['validation'] | null | undefined) => (m === null || m === undefined ? null : { ...m, perClass: m.perClass.map((c) => ({ ...c })), confusion: m.confusion.map((row) => [...row]), labels: [...m.labels] });
  return {
    version: record.version,
    state: record.state,
    architecture: record.architecture,
    aliases: [...record.aliases],
    createdAt: record.createdAt,
    accuracy: record.accuracy,
    thresholds: manifest === null ? null : { ...manifest.thresholds },
    validation: metrics(manifest?.metrics.validation),
    testing: metrics(manifest?.metrics.testing),
  };
}

@Resolver(() => ModelVersionType)
export class ModelVersionResolver {
  @Query(() => [ModelVersionType], { description: 'Every model version, newest first.' })
  modelVersions(@Ctx() ctx: KwsContext): ModelVersionType[] {
    return ctx.service.registry.list().map((record) => versionType(ctx, record));
  }

  @Query(() => ModelVersionType, { nullable: true, description: 'One model version; null when there is none.' })
  modelVersion(@Arg('version', () => Int) version: number, @Ctx() ctx: KwsContext): ModelVersionType | null {
    const record = ctx.service.registry.list().find((r) => r.version === version);
    return record === undefined ? null : versionType(ctx, record);
  }
}
