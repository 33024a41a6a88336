/**
 * The kws-serve dashboard (GET /dashboard): a single-page app over the server's GraphQL API, after
 * the evaluation dashboard of the challenge talk this product comes from: versions, one version's
 * scores, the clips it gets wrong, a cluster map of its embeddings, a diff of two versions, jobs.
 * Routes are URL hashes (`#/versions`, `#/version`, …); the selection lives in {@link DashboardState}.
 */
import './style.css';
import { apiKey, ApiError, setApiKey } from './api.js';
import { clipsView } from './clips.view.js';
import { clustersView } from './clusters.view.js';
import { diffView } from './diff.view.js';
import { failure, h } from './dom.js';
import { jobsView } from './jobs.view.js';
import { initialState, saveFolders } from './state.js';
import { versionView } from './version.view.js';
import { listVersions, versionsView } from './versions.view.js';

const ROUTES = ['versions', 'version', 'clips', 'clusters', 'diff', 'jobs'] as const;
type Route = (typeof ROUTES)[number];

const state = initialState();
let versions: number[] = [];
let renderCount = 0;

function route(): Route {
  const name = location.hash.replace(/^#\/?/, '');
  return (ROUTES as readonly string[]).includes(name) ? (name as Route) : 'versions';
}

function input(name: string, value: string, placeholder: string, onChange: (value: string) => void): HTMLInputElement {
  const element = h('input', { name, value, placeholder });
  element.addEventListener('change', () => onChange(element.value));
  return element;
}

function drawHeader(): void {
  const current = route();
  document
    .getElementById('nav')
    ?.replaceChildren(
      ...ROUTES.map((name) => h('a', { href: `#/${name}`, class: name === current ? 'active' : '' }, name)),
    );
  const versionPick = h(
    'select',
    { name: 'version' },
    ...versions.map((v) =>
      h('option', { value: String(v), ...(v === state.version ? { selected: '' } : {}) }, `version ${v}`),
    ),
  );
  versionPick.addEventListener('change', () => {
    state.version = Number(versionPick.value);
    void render();
  });
  const folders = (key: 'dataDir' | 'testDir') => (value: string) => {
    state[key] = value;
    saveFolders(state);
    void render();
  };
  document.getElementById('context')?.replaceChildren(
    versionPick,
    input('dataDir', state.dataDir, "labelled folder (default: the version's own data)", folders('dataDir')),
    input('testDir', state.testDir, 'test folder of clips', folders('testDir')),
    input('apiKey', apiKey() ?? '', 'API key', (value) => {
      setApiKey(value.trim());
      void start();
    }),
  );
}

async function view(current: Route, token: number): Promise<HTMLElement> {
  switch (current) {
    case 'versions':
      return versionsView(state, (version) => {
        state.version = version;
      });
    case 'version':
      return versionView(state);
    case 'clips':
      return clipsView(state);
    case 'clusters':
      return clustersView(state);
    case 'diff':
      return diffView(state, versions);
    case 'jobs':
      return jobsView(() => token === renderCount);
    default:
      return h('p', {}, 'Unknown view.');
  }
}

async function render(): Promise<void> {
  const token = ++renderCount;
  // The list may have grown (a version retrained while the page is open).
  versions = (await listVersions().catch(() => null))?.map((r) => r.version) ?? versions;
  if (token !== renderCount) return;
  drawHeader();
  const main = document.getElementById('view');
  main?.replaceChildren(h('p', { class: 'note' }, 'Loading…'));
  const element = await view(route(), token).catch((error: unknown) => failure(error));
  if (token === renderCount) main?.replaceChildren(element);
}

async function start(): Promise<void> {
  try {
    const rows = await listVersions();
    versions = rows.map((r) => r.version);
    state.version ??= rows.find((r) => r.aliases.includes('production'))?.version ?? versions[0] ?? null;
  } catch (error) {
    drawHeader();
    const hint =
      error instanceof ApiError && (error.code === 'UNAUTHENTICATED' || error.code === 'FORBIDDEN')
        ? ' Enter an API key with the read scope above.'
        : '';
    document.getElementById('view')?.replaceChildren(failure(error), h('p', { class: 'note' }, hint));
    return;
  }
  await render();
}

window.addEventListener('hashchange', () => void render());
void start();
