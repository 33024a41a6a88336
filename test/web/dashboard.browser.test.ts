import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { ApiKeyStore } from '../../src/storage/index.js';
import { synthesizeCorpus } from '../../src/synth/index.js';
import { kaggleFolder } from '../helpers/kaggle.js';
import { BUNDLED_PRODUCTION, BUNDLED_VERSIONS } from '../helpers/models.js';
import { graphql, testServer } from '../helpers/server.js';
import { tempDir } from '../helpers/signals.js';

/** Debian's `chromium` (installed by .ci/run), or KWS_CHROMIUM. */
const CHROMIUM = [process.env['KWS_CHROMIUM'], '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (path): path is string => path !== undefined && existsSync(path),
);
if (CHROMIUM === undefined && process.env['KWS_REQUIRE_BROWSER'] !== undefined)
  throw new Error(
    'KWS_REQUIRE_BROWSER is set but no chromium was found (apt-get install chromium, or set KWS_CHROMIUM)',
  );
/**
 * The little of the DOM that the functions run in the page use: this file is type-checked without
 * the DOM library. (Page functions, not strings: the pages' CSP forbids eval, as it should.)
 */
interface PageNode {
  readonly textContent: string | null;
  readonly dataset: Readonly<Record<string, string | undefined>>;
  readonly currentTime: number;
  readonly duration: number;
  getAttribute(name: string): string | null;
  play(): Promise<void>;
}
interface PageGlobal {
  readonly document: {
    querySelector(selector: string): PageNode | null;
    getElementById(id: string): PageNode | null;
  };
}
/** Screenshots of each view, for review (not committed): KWS_SCREENSHOT_DIR, else a temporary folder. */
const SHOTS = process.env['KWS_SCREENSHOT_DIR'] ?? tempDir('kws-dashboard-shots-');

/** A page that records every problem: console errors and warnings, page errors, failed or 4xx/5xx requests, requests to other hosts. */
async function watchedPage(browser: Browser, origin: string, problems: string[], storage: Record<string, string>) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`failed request: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  // The machine may be offline: a request to any other host is a failure of the page, never sent.
  await page.route('**/*', async (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith('blob:') || url.startsWith('data:')) await route.continue();
    else {
      problems.push(`request to another host: ${url}`);
      await route.abort();
    }
  });
  // Code that runs in the page is given as text: this file is type-checked without the DOM library.
  await page.addInitScript(
    `for (const [key, value] of Object.entries(${JSON.stringify(storage)})) localStorage.setItem(key, value);`,
  );
  return page;
}

/** Waits until the first audio element matching `selector` has played 50 ms. */
async function untilPlaying(page: Page, selector: string): Promise<void> {
  await page.waitForFunction(
    (sel) => ((globalThis as unknown as PageGlobal).document.querySelector(sel)?.currentTime ?? 0) > 0.05,
    selector,
  );
}

async function open(page: Page, origin: string, view: string, ready: string): Promise<void> {
  await page.goto(`${origin}/dashboard/#/${view}`);
  await page.waitForSelector(ready, { timeout: 30_000 });
  await page.screenshot({ path: join(SHOTS, `${view}.png`), fullPage: true });
}

describe(
  'the dashboard and the API explorer in a real browser',
  { skip: CHROMIUM === undefined ? 'no chromium (apt-get install chromium)' : false },
  () => {
    let server: Awaited<ReturnType<typeof testServer>>;
    let browser: Browser;
    let origin: string;
    let dataDir: string;
    let testDir: string;
    let webDir: string;
    let roots: string[];
    const gql = async <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
      const body = await graphql(origin, query, variables);
      assert.equal(body.errors, undefined, JSON.stringify(body.errors));
      return body.data as T;
    };

    before(async () => {
      const root = tempDir('kws-dashboard-');
      webDir = join(root, 'web');
      // The pages as `npm run build` makes them, from these sources.
      execFileSync(process.execPath, [resolve(import.meta.dirname, '../../scripts/build-web.mjs'), webDir]);
      dataDir = join(root, 'corpus');
      await synthesizeCorpus({
        outDir: dataDir,
        perWord: 6,
        words: ['yes', 'no', 'up', 'dog'],
        seed: 7,
        realNoiseDir: null,
      });
      testDir = join(kaggleFolder(2).dir, 'audio');
      mkdirSync(SHOTS, { recursive: true });
      roots = [root, resolve(testDir, '..')];
      server = await testServer({ scoreRoots: roots, webDir });
      origin = server.url;
      browser = await chromium.launch({
        executablePath: CHROMIUM as string,
        args: ['--autoplay-policy=no-user-gesture-required', '--no-sandbox', '--mute-audio'],
      });
    });
    after(async () => {
      await browser?.close();
      await server?.stop();
    });

    const storage = (): Record<string, string> => ({
      'kws-dashboard-data-dir': dataDir,
      'kws-dashboard-test-dir': testDir,
    });

    it('shows every view with no failed request, no console error and nothing from another host', async () => {
      const problems: string[] = [];
      const page = await watchedPage(browser, origin, problems, storage());
      await open(page, origin, 'versions', '#versions-table');
      assert.equal(
        await page.locator('#versions-table tbody tr').count(),
        BUNDLED_VERSIONS.length,
        'one row per bundled version',
      );
      // The Version view opens on production: the bundled ensemble, which was not trained here.
      await open(page, origin, 'version', '#confusion');
      assert.ok((await page.locator('#trade-off svg').count()) >= 1, 'the threshold trade-off');
      assert.match(await page.locator('#training-curves').innerText(), /^No training history: not trained here/);
      // A trained version (1), picked in the header, has its curves; then back to production.
      await page.selectOption('select[name="version"]', '1');
      await page.waitForSelector('#training-curves svg');
      assert.ok((await page.locator('#training-curves svg').count()) >= 2, 'loss and accuracy curves');
      await page.selectOption('select[name="version"]', String(BUNDLED_PRODUCTION));
      await page.waitForSelector('#training-curves p.note');
      await open(page, origin, 'clips', '#low-confidence .clip');
      await page.waitForSelector('#low-confidence .clip .spectrogram svg');
      await open(page, origin, 'clusters', '#cluster-map svg');
      await open(page, origin, 'diff', '#confusion-diff');
      await page.waitForSelector('#diff-clips');
      // A finished scoring job, so that the jobs table has a row to show.
      const { scoreTestSet } = await gql<{ scoreTestSet: { id: string } }>(
        'mutation ($dir: String!) { scoreTestSet(input: { dir: $dir }) { id } }',
        { dir: testDir },
      );
      for (let i = 0; i < 100; i++) {
        const { job } = await gql<{ job: { status: string } }>('query ($id: ID!) { job(id: $id) { status } }', {
          id: scoreTestSet.id,
        });
        if (job.status === 'SUCCEEDED') break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await open(page, origin, 'jobs', '#jobs-table table');
      assert.match(await page.locator('#jobs-table tbody tr').first().innerText(), /score\s+SUCCEEDED[\s\S]*24 \/ 24/);
      await page.close();
      assert.deepEqual(problems, []);
    });

    it('draws the 144 cells of the confusion matrix with the counts of modelVersion.testing.confusion (else validation’s)', async () => {
      type Split = { labels: string[]; confusion: number[][] } | null;
      const { production, trained } = await gql<{
        production: { testing: Split; validation: Split };
        trained: { testing: Split };
      }>(
        `{ production: modelVersion(version: ${BUNDLED_PRODUCTION}) { testing { labels confusion } validation { labels confusion } }
           trained: modelVersion(version: 1) { testing { labels confusion } } }`,
      );
      const cellsOf = (split: Split) => {
        assert.ok(split !== null);
        const { labels, confusion } = split;
        return labels.flatMap((t, i) => labels.map((p, j) => [t, p, confusion[i]?.[j]]));
      };
      const page = await watchedPage(browser, origin, [], storage());
      const drawn = async () =>
        (await page.locator('#confusion rect[data-count]').evaluateAll((rects) =>
          rects.map((r) => {
            const { dataset } = r as unknown as PageNode;
            return [dataset['true'], dataset['predicted'], Number(dataset['count'])];
          }),
        )) as Array<[string, string, number]>;
      // A trained version (1, picked in the header) shows its testing split.
      await open(page, origin, 'version', '#confusion');
      await page.selectOption('select[name="version"]', '1');
      await page.waitForSelector('h2:has-text("Version 1 ")');
      await page.waitForSelector('#confusion');
      const trainedCells = await drawn();
      assert.equal(trainedCells.length, 144);
      assert.deepEqual(trainedCells, cellsOf(trained.testing));
      // Production, the bundled ensemble, was calibrated on clips with no testing split: its validation split is drawn.
      assert.equal(production.testing, null);
      await page.selectOption('select[name="version"]', String(BUNDLED_PRODUCTION));
      await page.waitForSelector(`h2:has-text("Version ${BUNDLED_PRODUCTION} ")`);
      await page.waitForSelector('#confusion');
      const cells = await drawn();
      assert.equal(cells.length, 144);
      assert.deepEqual(cells, cellsOf(production.validation));
      // A click lists the clips of that cell of the named labelled folder: true `yes`, answered `yes`.
      await page.locator('#confusion rect[data-true="yes"][data-predicted="yes"]').click();
      await page.waitForSelector('#cell-clips h3');
      const cards = await page.locator('#cell-clips .clip').allInnerTexts();
      assert.ok(cards.length > 0, 'the synthetic corpus has testing clips of yes answered yes');
      for (const card of cards) assert.match(card, /true yes · answered yes/);
      await page.close();
    });

    it('plays the audio of a listed clip', async () => {
      const page = await watchedPage(browser, origin, [], storage());
      await open(page, origin, 'clips', '#low-confidence .clip audio');
      const player = page.locator('#low-confidence .clip audio').first();
      await page.waitForFunction(
        () =>
          (globalThis as unknown as PageGlobal).document
            .querySelector('#low-confidence .clip audio')
            ?.getAttribute('src')
            ?.startsWith('blob:') === true,
      );
      await player.evaluate((audio) => (audio as unknown as PageNode).play());
      await untilPlaying(page, '#low-confidence .clip audio');
      const duration = await player.evaluate((audio) => (audio as unknown as PageNode).duration);
      assert.ok(Math.abs(duration - 1) < 0.05, `a 1 s clip, got ${duration} s`);
      await page.close();
    });

    it('maps one point per sampled clip, and a click plays it', async () => {
      const { clusterMap } = await gql<{ clusterMap: { layer: string; dimensions: number; points: unknown[] } }>(
        'query ($data: String, $test: String) { clusterMap(version: 1, dataDir: $data, testDir: $test, perSource: 100) { layer dimensions points { clip } } }',
        { data: dataDir, test: testDir },
      );
      assert.equal(clusterMap.layer, 'penultimate');
      const page = await watchedPage(browser, origin, [], storage());
      await open(page, origin, 'clusters', '#cluster-map svg');
      assert.equal(await page.locator('#cluster-map g[aria-label="dot"] circle').count(), clusterMap.points.length);
      await page.locator('#cluster-map g[aria-label="dot"] circle').first().click({ force: true });
      await untilPlaying(page, '#cluster-player');
      await page.close();
    });

    it('promotes a version from the versions table', async () => {
      const page = await watchedPage(browser, origin, [], storage());
      await open(page, origin, 'versions', '#versions-table');
      page.once('dialog', (dialog) => void dialog.accept()); // "Serve version 2 as production?"
      await page.locator('button[data-version="2"]').click();
      await page.waitForFunction(
        () =>
          (globalThis as unknown as PageGlobal).document
            .getElementById('versions-status')
            ?.textContent?.includes('version 2') === true,
      );
      const { modelVersion } = await gql<{ modelVersion: { aliases: string[] } }>(
        '{ modelVersion(version: 2) { aliases } }',
      );
      assert.deepEqual(modelVersion.aliases, ['production']);
      await gql(`mutation { promoteModelVersion(version: ${BUNDLED_PRODUCTION}) { version } }`);
      await page.close();
    });

    it('asks for an API key once the server has keys, then reads everything with it (audio too)', async () => {
      const keyed = await testServer({ scoreRoots: roots, webDir });
      try {
        const store = ApiKeyStore.open(join(keyed.dataDir, 'kws.db'));
        const read = store.create('dashboard', 'read').key;
        store.close();
        const problems: string[] = [];
        const page = await watchedPage(browser, keyed.url, problems, { 'kws-dashboard-test-dir': testDir });
        await page.goto(`${keyed.url}/dashboard/#/clips`);
        await page.waitForSelector('#view .error');
        assert.match(await page.locator('#view').innerText(), /API key[\s\S]*Enter an API key with the read scope/);
        assert.ok(
          problems.every((p) => p.startsWith('HTTP 401') || p.includes('401')),
          problems.join('\n'),
        );
        problems.length = 0;
        await page.locator('input[name="apiKey"]').fill(read);
        await page.locator('input[name="apiKey"]').press('Tab');
        await page.waitForSelector('#low-confidence .clip audio[src^="blob:"]', { timeout: 30_000 });
        await page
          .locator('#low-confidence .clip audio')
          .first()
          .evaluate((audio) => (audio as unknown as PageNode).play());
        await untilPlaying(page, '#low-confidence .clip audio');
        await page.close();
        assert.deepEqual(problems, []);
      } finally {
        await keyed.stop();
      }
    });

    it('serves the GraphQL explorer at /graphql to a browser, which runs a query with nothing from another host', async () => {
      const problems: string[] = [];
      const page = await watchedPage(browser, origin, problems, {});
      await page.goto(`${origin}/graphql`);
      await page.waitForSelector('.graphiql-execute-button', { timeout: 30_000 });
      await page.locator('.graphiql-execute-button').click();
      await page.waitForFunction(
        () =>
          (globalThis as unknown as PageGlobal).document
            .querySelector('.result-window')
            ?.textContent?.includes('"modelVersions"') === true,
        undefined,
        { timeout: 30_000 },
      );
      await page.screenshot({ path: join(SHOTS, 'explorer.png') });
      const result = await page.locator('.result-window').innerText();
      assert.match(result, /"version": 1/);
      await page.close();
      assert.deepEqual(problems, []);
    });
  },
);
