import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { access, type AccessConfig } from './access-config.js';
import type { Concern, Refuse } from './concern.js';
import { database, type DatabaseConfig } from './database-config.js';
import { downloads, type DownloadsConfig } from './downloads-config.js';
import { limits, type LimitsConfig } from './limits-config.js';
import { logging, type LoggingConfig } from './logging-config.js';
import { output, type OutputConfig } from './output-config.js';
import { progress, type ProgressConfig } from './progress-config.js';
import { retention, type RetentionConfig } from './retention-config.js';
import { server, type ServerConfig } from './server-config.js';
import { storage, type StorageConfig } from './storage-config.js';
import { Derived, variablesOf } from './variable.js';
import { webhooks, type WebhooksConfig } from './webhooks-config.js';
import { workers, type WorkersConfig } from './workers-config.js';

/**
 * The configuration is the environment, read once at start: one class per concern (server-config.ts
 * and its neighbours) declares each variable once, on the property that holds its value, with its
 * rules, default and description (see variable.ts). class-validator and class-transformer, which the
 * request DTOs already use, read and check it: no other schema library. A concern's defaults may
 * depend on the concerns before it, hence their order here; docs/configuration.md lists them in it.
 */
export const CONCERNS = {
  server,
  database,
  storage,
  output,
  workers,
  limits,
  downloads,
  webhooks,
  access,
  progress,
  retention,
  logging,
} satisfies Record<string, Concern<any>>;

/** The one validated configuration of the service, by concern; injected wherever a setting is needed. */
export class AppConfig {
  readonly server: ServerConfig;
  readonly database: DatabaseConfig;
  readonly storage: StorageConfig;
  readonly output: OutputConfig;
  readonly workers: WorkersConfig;
  readonly limits: LimitsConfig;
  readonly downloads: DownloadsConfig;
  readonly webhooks: WebhooksConfig;
  readonly access: AccessConfig;
  readonly progress: ProgressConfig;
  readonly retention: RetentionConfig;
  readonly logging: LoggingConfig;

  constructor(values: AppConfig) {
    Object.assign(this, values);
  }
}

export class ConfigValidationError extends Error {}

function refusal(lines: string[]): ConfigValidationError {
  return new ConfigValidationError(`Invalid configuration:\n${lines.join('\n')}`);
}

/**
 * Reads and validates the environment; throws one error listing every bad value: first every variable
 * on its own, then, when each is valid, the rules between them.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const concerns = Object.entries(CONCERNS) as Array<[keyof AppConfig, Concern<object>]>;
  const secrets = new Set(
    concerns.flatMap(([, { schema }]) =>
      variablesOf(schema)
        .filter((v) => v.secret)
        .map((v) => v.name),
    ),
  );
  const refuse: Refuse = (name, message) =>
    `  ${name}${secrets.has(name) ? ' (value hidden)' : `=${JSON.stringify(env[name])}`}: ${message}`;

  const read = concerns.map(([key, concern]) => {
    const values = plainToInstance(concern.schema, env, { excludeExtraneousValues: true });
    return { key, concern, values: values as Record<string, unknown> };
  });
  const invalid = read.flatMap(({ concern, values }) =>
    validateSync(values).flatMap((error) => {
      const name = variablesOf(concern.schema).find((v) => v.property === error.property)!.name;
      return Object.values(error.constraints ?? {}).map((message) =>
        // class-validator's own messages start with the property: they name the variable instead.
        refuse(
          name,
          message.startsWith(`${error.property} `) ? name + message.slice(error.property.length) : message,
        ),
      );
    }),
  );
  if (invalid.length > 0) throw refusal(invalid);

  const config: Record<string, unknown> = {};
  for (const { key, concern, values } of read) {
    for (const variable of variablesOf(concern.schema)) {
      if (values[variable.property] !== undefined || variable.default === undefined) continue;
      values[variable.property] =
        variable.default instanceof Derived
          ? variable.default.derive(values as never, config as never)
          : variable.default;
    }
    config[key] = values;
  }
  const loaded = new AppConfig(config as unknown as AppConfig);
  const conflicts = read.flatMap(({ concern, values }) => concern.check?.(values, loaded, refuse) ?? []);
  if (conflicts.length > 0) throw refusal(conflicts);
  return loaded;
}
