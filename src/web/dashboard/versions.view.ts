import { gql } from './api.js';
import { failure, h, pct, section, table } from './dom.js';
import type { DashboardState } from './state.js';

interface Rejection {
  readonly score: string;
  readonly auroc: number | null;
  readonly fprAtTpr95: number | null;
}

/** A row of the versions table. */
export interface VersionRow {
  readonly version: number;
  readonly state: string;
  readonly aliases: readonly string[];
  readonly architecture: string | null;
  readonly accuracy: number | null;
  readonly createdAt: string;
  readonly testing: { readonly trust: { ece: number; unknownRejection: Rejection[] } | null } | null;
  readonly validation: { readonly trust: { ece: number; unknownRejection: Rejection[] } | null } | null;
}

const QUERY = `{ modelVersions { version state aliases architecture accuracy createdAt
  testing { trust { ece unknownRejection { score auroc fprAtTpr95 } } }
  validation { trust { ece unknownRejection { score auroc fprAtTpr95 } } } } }`;

/** All versions, newest first. */
export async function listVersions(): Promise<VersionRow[]> {
  const { modelVersions } = await gql<{ modelVersions: VersionRow[] }>(QUERY);
  return [...modelVersions].sort((a, b) => b.version - a.version);
}

function trustOf(row: VersionRow): { ece: number; unknownRejection: Rejection[] } | null {
  return row.testing?.trust ?? row.validation?.trust ?? null;
}

/**
 * The Versions view: every version with its state, aliases, architecture, accuracy, calibration
 * error and OOD figures (AUROC, FPR95 of the max-softmax rule); a row selects the version for the
 * other views; admins promote a version to production (or roll back to an older one).
 */
export async function versionsView(state: DashboardState, select: (version: number) => void): Promise<HTMLElement> {
  const status = h('p', { class: 'note', id: 'versions-status' });
  const body = h('div', {});
  const render = async (): Promise<void> => {
    try {
      const rows = await listVersions();
      const production = rows.find((r) => r.aliases.includes('production'))?.version ?? null;
      const promote = async (version: number): Promise<void> => {
        if (!confirm(`Serve version ${version} as production? Every request without a version will get it.`)) return;
        try {
          await gql('mutation ($v: Int!) { promoteModelVersion(version: $v) { version aliases } }', { v: version });
          status.textContent = `version ${version} now serves as production`;
          await render();
        } catch (error) {
          status.replaceChildren(failure(error));
        }
      };
      const tableElement = table(
        [
          'version',
          'state',
          'aliases',
          'architecture',
          'accuracy',
          'ECE',
          'unknown AUROC',
          'unknown FPR95',
          'created',
          '',
        ],
        rows.map((row) => {
          const trust = trustOf(row);
          const msp = trust?.unknownRejection.find((r) => r.score === 'MAX_SOFTMAX') ?? null;
          const action =
            row.state !== 'READY' || row.version === production
              ? ''
              : h(
                  'button',
                  { onclick: () => void promote(row.version), 'data-version': String(row.version) },
                  production !== null && row.version < production ? 'Roll back to' : 'Promote',
                );
          return [
            h('a', { href: '#/version', onclick: () => select(row.version) }, String(row.version)),
            row.state,
            row.aliases.join(', '),
            row.architecture ?? '',
            pct(row.accuracy),
            pct(trust?.ece),
            msp?.auroc?.toFixed(3) ?? '–',
            pct(msp?.fprAtTpr95),
            row.createdAt.slice(0, 19).replace('T', ' '),
            action,
          ];
        }),
      );
      tableElement.id = 'versions-table';
      tableElement.querySelectorAll('tbody tr').forEach((tr, i) => {
        if (rows[i]?.version === state.version) tr.classList.add('selected');
      });
      body.replaceChildren(tableElement);
    } catch (error) {
      body.replaceChildren(failure(error));
    }
  };
  await render();
  return section(
    'Model versions',
    h('p', { class: 'note' }, 'Click a version to inspect it. Promoting needs an admin key.'),
    status,
    body,
  );
}
