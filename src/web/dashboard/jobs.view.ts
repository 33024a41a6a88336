import { gql } from './api.js';
import { epochCurves, metricAgainst } from './charts.js';
import { failure, h, pct, section, table } from './dom.js';

interface Job {
  readonly id: string;
  readonly kind: string;
  readonly status: string;
  readonly processed: number;
  readonly total: number;
  readonly clipsPerSecond: number;
  readonly etaSeconds: number | null;
  readonly error: string | null;
  readonly createdAt: string;
  readonly resultVersion: number | null;
  readonly training: {
    phase: string;
    epoch: number;
    epochs: number;
    loss: number | null;
    accuracy: number | null;
    valAccuracy: number | null;
    history: Array<{ epoch: number; loss: number; accuracy: number; valAccuracy: number }>;
  } | null;
  readonly search: {
    metric: string;
    trials: Array<{
      trial: number;
      status: string;
      metric: number | null;
      version: number | null;
      parameters: Array<{ name: string; value: string }>;
    }>;
  } | null;
}

const JOB_FIELDS = `id kind status processed total clipsPerSecond etaSeconds error createdAt resultVersion
  training { phase epoch epochs loss accuracy valAccuracy history { epoch loss accuracy valAccuracy } }
  search { metric trials { trial status metric version parameters { name value } } }`;

function progressCell(job: Job): HTMLElement {
  const eta = job.etaSeconds === null || job.status !== 'RUNNING' ? '' : ` · ETA ${Math.round(job.etaSeconds)} s`;
  if (job.kind === 'score')
    return h(
      'span',
      {},
      h('progress', { max: String(Math.max(job.total, 1)), value: String(job.processed) }),
      ` ${job.processed} / ${job.total} · ${job.clipsPerSecond.toFixed(0)} clips/s${eta}`,
    );
  const t = job.training;
  if (t === null) return h('span', {}, job.search === null ? '' : `${job.search.trials.length} trials`);
  // Epochs run: the curve's length (early stopping may end before `epochs`); jobs kept without a curve say `epochs`.
  const ran = t.history.length > 0 ? t.history.length : t.epochs;
  if (t.phase === 'done')
    return h(
      'span',
      {},
      h('progress', { max: '1', value: '1' }),
      ` done · kept epoch ${t.epoch} of ${ran}${ran < t.epochs ? ` (stopped early; at most ${t.epochs})` : ''} · validation ${pct(t.valAccuracy)}`,
    );
  return h(
    'span',
    {},
    h('progress', { max: String(t.epochs), value: String(t.epoch) }),
    ` ${t.phase} · epoch ${t.epoch} / ${t.epochs} · loss ${t.loss?.toFixed(3) ?? '–'} · validation ${pct(t.valAccuracy)}${eta}`,
  );
}

/** One job: its training curve (every epoch finished so far, as the job records them) and a search's trials. */
function jobDetail(job: Job): HTMLElement {
  const parts: Array<HTMLElement | SVGSVGElement> = [];
  const history = job.training?.history ?? [];
  // The kept epoch is known once the job is done (`epoch` is then the best one).
  if (history.length > 0) parts.push(epochCurves(history, job.training?.phase === 'done' ? job.training.epoch : null));
  const search = job.search;
  if (search !== null && search.trials.length > 0) {
    const names = [...new Set(search.trials.flatMap((t) => t.parameters.map((p) => p.name)))];
    parts.push(
      table(
        ['trial', 'status', search.metric, 'version', ...names],
        search.trials.map((t) => [
          t.trial,
          t.status,
          t.metric === null ? '–' : t.metric.toFixed(4),
          t.version ?? '',
          ...names.map((n) => t.parameters.find((p) => p.name === n)?.value ?? ''),
        ]),
      ),
    );
    const numeric = search.trials.flatMap((t) =>
      t.metric === null
        ? []
        : t.parameters.flatMap((p) =>
            Number.isFinite(Number(p.value))
              ? [{ parameter: p.name, value: Number(p.value), metric: t.metric as number }]
              : [],
          ),
    );
    if (numeric.length > 0) parts.push(metricAgainst(numeric, search.metric));
  }
  return section(
    `Job ${job.id} (${job.kind}, ${job.status})`,
    ...(parts.length > 0 ? parts : [h('p', { class: 'note' }, 'No curves or trials yet.')]),
  );
}

/**
 * The Jobs view: every job with live progress (scoring clips/s and ETA; training epoch and
 * validation accuracy), refreshed every second while any is active; a selected job shows its
 * training curve, growing as epochs finish, and a search's trials as a table and a
 * metric-per-parameter plot.
 */
export async function jobsView(isCurrent: () => boolean): Promise<HTMLElement> {
  const list = h('div', { id: 'jobs-table' });
  const detail = h('div', {});
  let selected: string | null = null;
  const poll = async (): Promise<void> => {
    if (!isCurrent()) return;
    try {
      const { jobs } = await gql<{ jobs: Job[] }>(`{ jobs { ${JOB_FIELDS} } }`);
      list.replaceChildren(
        jobs.length === 0
          ? h(
              'p',
              { class: 'note' },
              'No jobs yet: start one with retrain, startSearch or scoreTestSet (GraphQL) or the kws CLI.',
            )
          : table(
              ['job', 'kind', 'status', 'progress', 'version', 'created', ''],
              jobs.map((job) => [
                job.id,
                job.kind,
                job.error === null ? job.status : h('span', { class: 'error', title: job.error }, job.status),
                progressCell(job),
                job.resultVersion ?? '',
                job.createdAt.slice(0, 19).replace('T', ' '),
                h(
                  'button',
                  {
                    onclick: () => {
                      selected = job.id;
                      void poll();
                    },
                  },
                  'Details',
                ),
              ]),
            ),
      );
      // The job chosen stays chosen (a running job picked by default stays after it finishes).
      const chosen = jobs.find((j) => j.id === selected) ?? jobs.find((j) => j.status === 'RUNNING') ?? null;
      selected = chosen?.id ?? null;
      detail.replaceChildren(chosen === null ? '' : jobDetail(chosen));
      // Every second while a job is active, else every 3 s: a job started elsewhere shows up by itself.
      setTimeout(() => void poll(), jobs.some((j) => j.status === 'RUNNING' || j.status === 'QUEUED') ? 1000 : 3000);
    } catch (error) {
      list.replaceChildren(failure(error));
    }
  };
  await poll();
  return h('div', {}, section('Jobs', list), detail);
}
