/**
 * `npm run docs:config`: writes the tables of docs/configuration.md, between its markers, from the
 * variables the configuration declares (src/config/*-config.ts); the text around them is written by
 * hand. `npm run docs:config -- --check` writes nothing and fails when the file is not what it would
 * write (CI runs it).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { CONCERNS } from '../src/config/app-config.js';
import { Derived, type VariableDeclaration, variablesOf } from '../src/config/variable.js';

const DOCUMENT = join(import.meta.dirname, '../docs/configuration.md');
const BEGIN =
  '<!-- The tables below are written by `npm run docs:config` from src/config/*-config.ts: edit there. -->';
const END = '<!-- End of the written tables. -->';

function defaultOf(variable: VariableDeclaration): string {
  if (variable.shown !== undefined) return variable.shown;
  const value = variable.default;
  if (value === undefined || value instanceof Derived)
    throw new Error(`${variable.name}: a default that is absent or derived needs \`shown\``);
  const text = `\`${Array.isArray(value) ? value.join(',') : String(value)}\``;
  return variable.aside ? `${text} (${variable.aside})` : text;
}

function tables(): string {
  return Object.values(CONCERNS)
    .map(({ title, schema }) => {
      const rows = variablesOf(schema)
        .filter((variable) => !variable.unlisted)
        .map((variable) => `| \`${variable.name}\` | ${defaultOf(variable)} | ${variable.description} |`);
      return [`## ${title}`, '', '| Variable | Default | Meaning |', '| --- | --- | --- |', ...rows].join(
        '\n',
      );
    })
    .join('\n\n');
}

const current = await readFile(DOCUMENT, 'utf8');
const begin = current.indexOf(BEGIN);
const end = current.indexOf(END);
if (begin < 0 || end < begin) throw new Error(`${DOCUMENT} lacks the markers:\n${BEGIN}\n${END}`);
const written = await format(
  `${current.slice(0, begin + BEGIN.length)}\n\n${tables()}\n\n${current.slice(end)}`,
  { ...(await resolveConfig(DOCUMENT)), filepath: DOCUMENT },
);
if (process.argv.includes('--check')) {
  if (written !== current) {
    console.error(
      'docs/configuration.md is not what the configuration declares: run `npm run docs:config` and commit it.',
    );
    process.exit(1);
  }
  console.log('docs/configuration.md matches the configuration.');
} else {
  await writeFile(DOCUMENT, written);
  console.log('wrote docs/configuration.md');
}
