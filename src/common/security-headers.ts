import type { RequestHandler } from 'express';
import helmet from 'helmet';

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

const isDocsPage = (path: string) => path === '/docs' || path.startsWith('/docs/');

/**
 * helmet's headers on every answer (no `X-Powered-By`, `nosniff`, HSTS…), with a strict CSP on the
 * JSON API, a relaxed one for Swagger UI under /docs only, and output images loadable from any
 * origin (they are meant to be embedded in product pages).
 */
export function securityHeaders(): RequestHandler {
  const api = helmet({ contentSecurityPolicy: { useDefaults: false, directives: API_POLICY } });
  const files = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: API_POLICY },
    crossOriginResourcePolicy: { policy: 'cross-origin' },
  });
  const docs = helmet({ contentSecurityPolicy: { useDefaults: false, directives: DOCS_POLICY } });
  return (req, res, next) =>
    (isDocsPage(req.path) ? docs : req.path.startsWith('/files/') ? files : api)(req, res, next);
}
