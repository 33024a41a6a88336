import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { OOD_PARTS } from '../labels/index.js';
import { Command } from 'commander';
import { reportError } from './report-error.js';
import type { ModelRegistry, TrustMetrics } from '../registry/index.js';
import type { OodEvaluationReport } from '../training/tfjs/index.js';
import { openRegistry, versionName, withRegistryOptions } from './registry-options.js';
import type { RegistryCliOptions } from './registry-options.js';
import { PROCESS_OUTPUT } from './output.js';
import type { CliOutput } from './output.js';

/** `kws models [--json]`: the model versions, newest first. */
export function modelsCommand(output: CliOutput = PROCESS_OUTPUT): Command {
  return withRegistryOptions(
    new Command('models')
      .description('list model versions and aliases')
      .option('--json', 'one JSON object per version'),
  ).action((options: RegistryCliOptions & { json?: boolean }) => {
    try {
      const registry = openRegistry(options);
      const versions = registry.list();
      registry.close();
      for (const v of versions) {
        output.writeOut(
          options.json === true
            ? `${JSON.stringify(v)}\n`
            : `${String(v.version).padStart(4)}  ${v.state.padEnd(8)} ${(v.architecture ?? '').padEnd(17)} ${v.accuracy === null ? '      -' : `${(v.accuracy * 100).toFixed(1).padStart(5)} %`}  ${v.createdAt}  ${v.aliases.join(', ')}\n`,
        );
      }
      if (versions.length === 0 && options.json !== true)
        output.writeOut('no model versions yet: train one with kws train --data DIR\n');
    } catch (error) {
      reportError('models', error, output);
    }
  });
}

const pct = (x: number | null): string => (x === null ? 'n/a' : `${(x * 100).toFixed(1)} %`);

/** The trust figures of an evaluation as text lines: calibration, then each unknown rule's separation. */
function trustLines(trust: TrustMetrics): string[] {
  const lines = [
    `calibration: ECE ${pct(trust.ece)} (15 bins)${trust.eceFloor === undefined ? '' : `, ${pct(trust.eceFloor)} ± ${pct(trust.eceFloorSd ?? 0)} for a calibrated model on ${trust.examples} clips`}, NLL ${trust.nll.toFixed(3)} nats, temperature ${trust.temperature.toFixed(3)}`,
  ];
  for (const [name, rows] of [
    ['unknown', trust.unknownRejection],
    ['silence', trust.nonSpeechRejection],
  ] as const) {
    for (const r of rows)
      lines.push(
        `commands vs ${name} (${r.examples} clips), ${r.score}: AUROC ${r.auroc === null ? 'n/a' : r.auroc.toFixed(3)}, FPR at 95 % TPR ${pct(r.fprAtTpr95)}`,
      );
  }
  return lines;
}

/** The OOD-set report as text: a line per part, then per group, then each rule's separation. */
function oodLines(report: OodEvaluationReport): string[] {
  const lines = [
    `model version ${report.modelVersion} on an OOD set (temperature ${report.temperature.toFixed(3)}): answered as expected / answered with a command / turned unknown by the non-speech rule`,
  ];
  for (const p of report.parts) {
    lines.push(
      `${p.part.padEnd(16)} ${String(p.clips).padStart(5)} clips  ${pct(p.correct).padStart(7)} / ${pct(p.commandRate).padStart(7)} / ${pct(p.nonSpeechRate).padStart(7)}`,
    );
    for (const [group, g] of Object.entries(p.groups))
      lines.push(
        `  ${group.padEnd(14)} ${String(g.clips).padStart(5)} clips  ${pct(g.correct).padStart(7)} / ${pct(g.commandRate).padStart(7)} / ${pct(g.nonSpeechRate).padStart(7)}`,
      );
    for (const r of p.rejection ?? [])
      lines.push(
        `  held-out commands vs ${p.part}, ${r.score}: AUROC ${r.auroc === null ? 'n/a' : r.auroc.toFixed(3)}, FPR at 95 % TPR ${pct(r.fprAtTpr95)}`,
      );
  }
  return lines;
}

/** `kws eval --data DIR [--model V] [--json]`: challenge accuracy, per-class scores, confusion, hard examples. */
export function evalCommand(output: CliOutput = PROCESS_OUTPUT): Command {
  return withRegistryOptions(
    new Command('eval')
      .description(
        'score a model version on a labelled set: a dataset testing split, the v0.02 test-set layout, audio/ + labels.csv, or an OOD set (kws ood-set), part by part',
      )
      .requiredOption('--data <dir>', 'labelled clips')
      .option('--model <version>', 'version number or alias (default production)')
      .option('--json', 'print one JSON object'),
  ).action(async (options: RegistryCliOptions & { data: string; model?: string; json?: boolean }) => {
    let registry: ModelRegistry | undefined;
    try {
      registry = openRegistry(options);
      // TF.js loads only when a version is evaluated.
      const { evaluateOodSet, evaluateVersion } = await import('../training/tfjs/index.js');
      const dir = resolve(options.data);
      if (existsSync(join(dir, 'manifest.json')) && OOD_PARTS.some((part) => existsSync(join(dir, part)))) {
        const ood = await evaluateOodSet(registry, dir, options.model);
        output.writeOut(options.json === true ? `${JSON.stringify(ood)}\n` : `${oodLines(ood).join('\n')}\n`);
        return;
      }
      const report = await evaluateVersion(registry, dir, options.model);
      if (options.json === true) {
        output.writeOut(`${JSON.stringify(report)}\n`);
        return;
      }
      const lines = [
        `model ${versionName(registry, report.modelVersion)}: 12-class accuracy ${(report.accuracy * 100).toFixed(2)} % on ${report.examples} clips`,
        'label      precision  recall     f1  support',
      ];
      for (const c of report.perClass)
        lines.push(
          `${c.label.padEnd(9)} ${c.precision.toFixed(3).padStart(9)} ${c.recall.toFixed(3).padStart(7)} ${c.f1.toFixed(3).padStart(6)} ${String(c.support).padStart(8)}`,
        );
      if (report.trust !== undefined) lines.push(...trustLines(report.trust));
      lines.push('most confidently wrong:');
      for (const h of report.hardExamples.slice(0, 10))
        lines.push(`  ${h.id}: ${h.label} -> ${h.predicted} (${(h.confidence * 100).toFixed(0)} %, ${h.reason})`);
      output.writeOut(`${lines.join('\n')}\n`);
    } catch (error) {
      reportError('eval', error, output);
    } finally {
      registry?.close();
    }
  });
}
