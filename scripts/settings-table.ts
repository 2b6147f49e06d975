// `npm run docs:settings`: writes the README's configuration table from the settings table
// (src/settings.ts). src/settings.test.ts fails when the README's table and the settings disagree.
import { readFileSync, writeFileSync } from 'node:fs';
import { withSettingsTable } from '../src/settings.js';

const path = new URL('../README.md', import.meta.url);
const before = readFileSync(path, 'utf8');
const after = withSettingsTable(before);
if (after === before) console.log('README.md: the settings table is up to date.');
else {
  writeFileSync(path, after);
  console.log('README.md: the settings table was rewritten from src/settings.ts.');
}
