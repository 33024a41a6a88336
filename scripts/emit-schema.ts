/** `npm run schema`: writes schema/schema.graphql from the type-graphql resolvers (a test fails when it drifts). */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { printKwsSchema } from '../src/graphql/index.js';

const path = resolve(import.meta.dirname, '../schema/schema.graphql');
writeFileSync(path, printKwsSchema());
process.stdout.write(`wrote ${path}\n`);
