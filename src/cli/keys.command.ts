import { join } from 'node:path';
import { Command, Option } from 'commander';
import { loadConfig, makeDirs } from '../config/index.js';
import { fromFsError } from '../errors/index.js';
import { ApiKeyStore, parseScope, SCOPES } from '../storage/index.js';
import type { ApiKeyRecord } from '../storage/index.js';
import { PROCESS_OUTPUT } from './output.js';
import type { CliOutput } from './output.js';
import { reportError } from './report-error.js';

interface KeysCliOptions {
  dataDir?: string;
  json?: boolean;
}

const dataDirOption = (): Option =>
  new Option(
    '--data-dir <dir>',
    'state folder holding kws.db, the one the server uses (default: ./var, or KWS_DATA_DIR)',
  );

/** Opens the key store of the data folder the options name, creating the folder. */
function openKeys(options: KeysCliOptions): ApiKeyStore {
  const { dataDir } = loadConfig(options.dataDir === undefined ? {} : { dataDir: options.dataDir });
  try {
    makeDirs(dataDir);
  } catch (error) {
    throw fromFsError(error, dataDir, 'write');
  }
  return ApiKeyStore.open(join(dataDir, 'kws.db'));
}

const line = (k: ApiKeyRecord): string =>
  `${String(k.id).padStart(4)}  ${k.name.padEnd(24)} ${k.scope.padEnd(8)} ${k.prefix}…  ${k.createdAt}  ${k.revokedAt === null ? 'live' : `revoked ${k.revokedAt}`}\n`;

/**
 * Runs `work` on the key store of the options' data folder, closing it after; errors are reported
 * as `kws keys <name>: CODE: message` with exit code 1.
 */
function withKeys(
  name: string,
  output: CliOutput,
  work: (keys: ApiKeyStore, options: KeysCliOptions & Record<string, unknown>, args: readonly string[]) => void,
) {
  // commander calls an action with the arguments, the options and the command, last.
  return (...args: unknown[]): void => {
    const command = args.at(-1) as Command;
    const options = command.opts<KeysCliOptions & Record<string, unknown>>();
    let keys: ApiKeyStore | undefined;
    try {
      keys = openKeys(options);
      work(keys, options, command.args);
    } catch (error) {
      reportError(`keys ${name}`, error, output);
    } finally {
      keys?.close();
    }
  };
}

/**
 * `kws keys create|list|revoke`: the server's API keys, in the data folder's `kws.db` (README
 * "Security"). `create` prints the key once; only its SHA-256 is stored.
 */
export function keysCommand(output: CliOutput = PROCESS_OUTPUT): Command {
  const keys = new Command('keys').description('create, list and revoke the API keys the server accepts');
  keys.addCommand(
    new Command('create')
      .description('make an API key and print it once (only its hash is kept)')
      .requiredOption('--name <name>', 'a name to tell it apart (unique, 1 to 64 characters)')
      .addOption(
        new Option('--scope <scope>', `what it may do: ${SCOPES.join(' < ')}`)
          .choices([...SCOPES])
          .makeOptionMandatory(),
      )
      .addOption(dataDirOption())
      .option('--json', 'print { key, id, name, scope } as JSON')
      .action(
        withKeys('create', output, (store, options) => {
          const { key, record } = store.create(String(options['name']), parseScope(String(options['scope'])));
          if (options.json === true) {
            output.writeOut(`${JSON.stringify({ key, id: record.id, name: record.name, scope: record.scope })}\n`);
            return;
          }
          output.writeOut(`${key}\n`);
          output.writeErr(
            `API key ${record.id} "${record.name}" (${record.scope}); it is shown only now: send it as Authorization: Bearer <key>\n`,
          );
        }),
      ),
  );
  keys.addCommand(
    new Command('list')
      .description('list API keys (never their secrets)')
      .addOption(dataDirOption())
      .option('--json', 'one JSON object per key')
      .action(
        withKeys('list', output, (store, options) => {
          const all = store.list();
          for (const k of all) output.writeOut(options.json === true ? `${JSON.stringify(k)}\n` : line(k));
          if (all.length === 0 && options.json !== true)
            output.writeOut('no API keys: the server runs open, on loopback only (kws keys create makes one)\n');
        }),
      ),
  );
  keys.addCommand(
    new Command('revoke')
      .description('revoke an API key by name or id; requests with it get 401 at once')
      .argument('<key>', 'its name or id')
      .addOption(dataDirOption())
      .action(
        withKeys('revoke', output, (store, _options, args) => {
          output.writeOut(line(store.revoke(String(args[0]))));
        }),
      ),
  );
  return keys;
}
