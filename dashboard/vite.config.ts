import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  // The SDK from source, as dashboard/tsconfig.json's `paths` resolves it: the dashboard calls the API through it.
  resolve: { alias: { '@keyward/client/management': `${root}../packages/client/src/management.ts` } },
  build: { outDir: `${root}dist`, emptyOutDir: true, sourcemap: false },
  // `npm run dev` of the API on 8080; `npx vite --config dashboard/vite.config.ts` proxies to it.
  server: { proxy: { '/v1': 'http://127.0.0.1:8080' } },
});
