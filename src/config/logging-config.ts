import { IsIn, IsString } from 'class-validator';
import type { Concern } from './concern.js';
import { derived, Variable } from './variable.js';

const LOG_FORMATS = ['json', 'text'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What the process logs, and how. */
export class LoggingConfig {
  @Variable('NODE_ENV', { unlisted: true, description: "`production` makes `LOG_FORMAT`'s default `json`" })
  @IsString()
  readonly nodeEnv?: string;

  /** JSON lines (for log collectors) or readable lines (for a terminal). */
  @Variable('LOG_FORMAT', {
    default: derived((logging: LoggingConfig) => (logging.nodeEnv === 'production' ? 'json' : 'text')),
    shown: '`json` when `NODE_ENV=production`, else `text`',
    description:
      '`json`: one JSON object per line on stdout (for a log collector); `text`: readable lines (see [logs](operations.md#logs))',
  })
  @IsIn(LOG_FORMATS)
  readonly format: LogFormat;

  @Variable('LOG_LEVEL', {
    default: 'info',
    description: LOG_LEVELS.map((level) => `\`${level}\``)
      .join(', ')
      .replace(/, ([^,]*)$/, ' or $1'),
  })
  @IsIn(LOG_LEVELS)
  readonly level: LogLevel;
}

export const logging: Concern<LoggingConfig> = { title: 'Logging', schema: LoggingConfig };
