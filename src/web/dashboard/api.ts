/**
 * The dashboard's only way to the server: GraphQL over `fetch` on the same origin, and audio and
 * spectrograms from `/v1/audio` and `/v1/clips/:id`, each with the API key the user entered (kept in
 * localStorage) as `Authorization: Bearer`. Nothing is requested from any other host.
 */

const KEY_ITEM = 'kws-api-key';

/** An error the server answered, with its stable code (e.g. UNAUTHENTICATED, FORBIDDEN, PATH_NOT_ALLOWED). */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The API key in use, or null (a server without keys needs none). */
export function apiKey(): string | null {
  return localStorage.getItem(KEY_ITEM);
}

/** Keeps (or, with an empty string, forgets) the API key. */
export function setApiKey(key: string): void {
  if (key === '') localStorage.removeItem(KEY_ITEM);
  else localStorage.setItem(KEY_ITEM, key);
}

function headers(): Record<string, string> {
  const key = apiKey();
  return key === null ? {} : { Authorization: `Bearer ${key}` };
}

interface GraphqlResponse<T> {
  readonly data?: T | null;
  readonly errors?: ReadonlyArray<{ message: string; extensions?: { code?: string } }>;
}

/**
 * Runs a GraphQL operation.
 *
 * @throws ApiError with the first error's code and message when the server answers any error.
 */
export async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers() },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as GraphqlResponse<T>;
  const first = body.errors?.[0];
  if (first !== undefined) throw new ApiError(first.extensions?.code ?? 'ERROR', first.message);
  if (body.data === undefined || body.data === null) throw new ApiError('ERROR', `HTTP ${response.status}`);
  return body.data;
}

async function get(url: string): Promise<Response> {
  const response = await fetch(url, { headers: headers() });
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
    throw new ApiError(body.error?.code ?? String(response.status), body.error?.message ?? response.statusText);
  }
  return response;
}

/** The audio behind an `audioUrl` as an object URL for an `<audio>` element (fetched with the key). */
export async function audioObjectUrl(url: string): Promise<string> {
  return URL.createObjectURL(await (await get(url)).blob());
}

/** Points a player at a new object URL, releasing the one it had (object URLs live until released). */
export function setSource(player: HTMLAudioElement, url: string): void {
  if (player.src.startsWith('blob:')) URL.revokeObjectURL(player.src);
  player.src = url;
}

/** A log-mel spectrogram as `GET …/spectrogram` answers it: `[frames, melBins]` values, row-major. */
export interface Spectrogram {
  readonly frames: number;
  readonly melBins: number;
  readonly hopMs: number;
  readonly values: readonly number[];
}

/** The spectrogram of the clip behind an `audioUrl` (`/v1/audio?path=` or `/v1/clips/:id/audio`). */
export async function spectrogram(audioUrl: string): Promise<Spectrogram> {
  const url = audioUrl.includes('?')
    ? audioUrl.replace('/v1/audio?', '/v1/audio/spectrogram?')
    : audioUrl.replace(/\/audio$/, '/spectrogram');
  return (await (await get(url)).json()) as Spectrogram;
}

let labels: Promise<string[]> | null = null;

/** The 12 labels in the server's order (the schema's `Label` enum), read once. */
export function labelNames(): Promise<string[]> {
  labels ??= gql<{ __type: { enumValues: Array<{ name: string }> } }>(
    '{ __type(name: "Label") { enumValues { name } } }',
  ).then((data) => data.__type.enumValues.map((v) => v.name));
  return labels;
}
