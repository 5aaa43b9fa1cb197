import type { RequestHandler } from 'express';
import helmet from 'helmet';
import type { AppConfig } from '../config/app-config.js';

/** The JSON API and the images load nothing: no script, style, frame or form may come from them. */
const API_POLICY = {
  defaultSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
  frameAncestors: ["'none'"],
};

/** Swagger UI: its own scripts and styles (it injects inline styles), fetches to this origin only. */
const DOCS_POLICY = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:', 'blob:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
  frameAncestors: ["'none'"],
};

/**
 * The dashboard: its own scripts and styles only (no inline script), calls to this origin, and images
 * from this origin, PUBLIC_URL's and STORAGE_PUBLIC_URL's (where outputs and previews are served from).
 */
function dashboardPolicy(config: AppConfig) {
  // Output and preview URLs start with PUBLIC_URL (or STORAGE_PUBLIC_URL), which may name this host otherwise
  // than the address bar does (localhost, 127.0.0.1, a proxy's name).
  const outputs = [config.server.publicUrl, config.storage.publicUrl].flatMap((url) =>
    url ? [new URL(url).origin] : [],
  );
  return {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'blob:', ...new Set(outputs)],
    connectSrc: ["'self'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
    frameAncestors: ["'none'"],
  };
}

const isDocsPage = (path: string) => path === '/docs' || path.startsWith('/docs/');
const isDashboard = (path: string) => path === '/' || path.startsWith('/assets/');

/**
 * helmet's headers on every answer (no `X-Powered-By`, `nosniff`, HSTS…), with a strict CSP on the
 * JSON API, a relaxed one for Swagger UI under /docs only, the dashboard's own at `/`, and output
 * images loadable from any origin (they are meant to be embedded in product pages).
 */
export function securityHeaders(config: AppConfig): RequestHandler {
  const api = helmet({ contentSecurityPolicy: { useDefaults: false, directives: API_POLICY } });
  const files = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: API_POLICY },
    crossOriginResourcePolicy: { policy: 'cross-origin' },
  });
  const docs = helmet({ contentSecurityPolicy: { useDefaults: false, directives: DOCS_POLICY } });
  const dashboard = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: dashboardPolicy(config) },
  });
  return (req, res, next) =>
    (isDocsPage(req.path)
      ? docs
      : isDashboard(req.path)
        ? dashboard
        : req.path.startsWith('/files/')
          ? files
          : api)(req, res, next);
}
