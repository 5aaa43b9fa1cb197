import { resolve } from 'node:path';

/**
 * Where `vite build web` writes the dashboard (web/dist), from src/dashboard/ in tests and from
 * dist/dashboard/ once built: both are two folders below the checkout.
 */
export const DASHBOARD_DIR = resolve(import.meta.dirname, '../../web/dist');
export const DASHBOARD_ASSETS_DIR = resolve(DASHBOARD_DIR, 'assets');
