import { IsIn, IsInt, IsString, IsUrl, Max, Min } from 'class-validator';
import { resolve } from 'node:path';
import type { Concern } from './concern.js';
import { asNumber, derived, MAX_TIMER_MS, Variable, withoutTrailingSlash } from './variable.js';

/**
 * What a process runs: `all` (the embedded default: API and workers in one process), `api` (HTTP API
 * and enqueueing only) or `worker` (image processing and webhook delivery).
 */
const ROLES = ['all', 'api', 'worker'] as const;
export type Role = (typeof ROLES)[number];

/** The process: what it runs, where it listens and keeps its files, how it stops. */
export class ServerConfig {
  @Variable('ROLE', {
    default: 'all',
    description:
      '`all` (API and workers in one process), `api` (HTTP API only: never decodes an image or sends a webhook) or `worker` (image processing and webhook delivery). `api` and `worker` need PostgreSQL',
  })
  @IsIn(ROLES, { message: `ROLE must be one of ${ROLES.join(', ')}` })
  readonly role: Role;

  @Variable('PORT', { read: asNumber, default: 3000, description: 'HTTP port' })
  @IsInt()
  @Min(0)
  @Max(65535)
  readonly port: number;

  @Variable('PUBLIC_URL', {
    read: withoutTrailingSlash,
    default: derived((server: ServerConfig) => `http://localhost:${server.port}`),
    shown: '`http://localhost:PORT`',
    description: 'Base of every URL handed to clients',
  })
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  readonly publicUrl: string;

  @Variable('DATA_DIR', {
    read: (text) => resolve(text),
    default: derived(() => resolve('./data')),
    shown: '`./data`',
    description: 'Holds the SQLite database (`pixelmill.sqlite`) and, by default, the images',
  })
  @IsString()
  readonly dataDir: string;

  @Variable('SHUTDOWN_GRACE_MS', {
    read: asNumber,
    default: 25_000,
    description: 'On SIGTERM, how long in-flight images may finish',
  })
  @IsInt()
  @Min(0)
  @Max(MAX_TIMER_MS)
  readonly shutdownGraceMs: number;
}

export const server: Concern<ServerConfig> = { title: 'Server', schema: ServerConfig };
