import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: { outDir: `${root}dist`, emptyOutDir: true, sourcemap: false },
  // `npm run dev` of the API on 8080; `npx vite --config dashboard/vite.config.ts` proxies to it.
  server: { proxy: { '/v1': 'http://127.0.0.1:8080' } },
});
