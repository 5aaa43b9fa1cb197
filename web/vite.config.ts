import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

/** `vite build web` (part of `npm run build`): the dashboard as static files in web/dist, served by the API at `/`. */
export default defineConfig({
  root: import.meta.dirname,
  plugins: [preact()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No inline script or style: the page's CSP allows only its own files.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
