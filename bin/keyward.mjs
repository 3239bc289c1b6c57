#!/usr/bin/env node
// The `keyward` command: runs the built CLI when dist/ is up to date, else the TypeScript
// sources through tsx, so `npx keyward` works right after `npm install` in a fresh clone.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { builtCli, root, serverStale } from '../scripts/freshness.mjs';

if (serverStale()) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href);
} else {
  await import(pathToFileURL(builtCli).href);
}
