/** What every view shares: the selected version and the folders to look at (kept in localStorage). */

const ITEMS = { dataDir: 'kws-dashboard-data-dir', testDir: 'kws-dashboard-test-dir' } as const;

/** The dashboard's shared selection. */
export interface DashboardState {
  /** The selected version; null until the versions are listed. */
  version: number | null;
  /** The version to compare with in the Diff view. */
  otherVersion: number | null;
  /** A labelled folder (Speech Commands layout) on the server, for hard examples and the cluster map; '' for the version's own data. */
  dataDir: string;
  /** An unlabelled folder of test clips on the server; '' for none. */
  testDir: string;
}

/** The state at page load. */
export function initialState(): DashboardState {
  return {
    version: null,
    otherVersion: null,
    dataDir: localStorage.getItem(ITEMS.dataDir) ?? '',
    testDir: localStorage.getItem(ITEMS.testDir) ?? '',
  };
}

/** Remembers the folders for the next visit. */
export function saveFolders(state: DashboardState): void {
  localStorage.setItem(ITEMS.dataDir, state.dataDir);
  localStorage.setItem(ITEMS.testDir, state.testDir);
}

/** A folder argument for GraphQL: null for ''. */
export function folder(value: string): string | null {
  return value.trim() === '' ? null : value.trim();
}
