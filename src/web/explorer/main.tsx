/**
 * The API explorer served at GET /graphql to browsers: GraphiQL (graphiql 3, CodeMirror 5) bundled
 * with React into static files, so it works on a machine without internet (Apollo's default landing
 * page loads Sandbox from a CDN). Every request sends `Apollo-Require-Preflight: true` (Apollo's CSRF
 * prevention) and the API key kept by the dashboard, if any; the headers editor can change both.
 */
import 'graphiql/graphiql.css';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { createRoot } from 'react-dom/client';

const key = localStorage.getItem('kws-api-key');
const headers: Record<string, string> = {
  'Apollo-Require-Preflight': 'true',
  ...(key === null ? {} : { Authorization: `Bearer ${key}` }),
};
const fetcher = createGraphiQLFetcher({ url: `${location.origin}/graphql`, headers });
const defaultQuery = `# kws-serve GraphQL explorer (offline). Press the run button or Ctrl-Enter.
{
  modelVersions {
    version
    state
    aliases
    architecture
    accuracy
  }
}
`;

const root = document.getElementById('explorer');
if (root !== null)
  createRoot(root).render(
    <GraphiQL fetcher={fetcher} defaultQuery={defaultQuery} defaultHeaders={JSON.stringify(headers, null, 2)} />,
  );
