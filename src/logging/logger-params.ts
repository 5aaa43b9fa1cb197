import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import { destination, type SerializedError, type SerializedRequest, stdTimeFunctions } from 'pino';
import { AppConfig } from '../config/app-config.js';
import { boundedRequest } from './bounded-request.js';
import { httpRequestId } from './http-request-id.js';
import { ReadableLogStream } from './readable-log-stream.js';
import { SecretScrubber } from './secret-scrubber.js';

/**
 * Fields never written, wherever they appear: credentials a client sends, the configuration's secrets
 * (WEBHOOK_SECRET, the S3 keys) should anything log the configuration or the environment.
 */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  ...['webhookSecret', 'WEBHOOK_SECRET', 'apiKeys', 'API_KEYS'].flatMap((key) => [key, `*.${key}`]),
  // The configuration's own fields (AppConfig), at its top level or one level down.
  ...['webhooks.secret', 'access.namedKeys'].flatMap((path) => [path, `*.${path}`]),
  ...['s3SecretAccessKey', 's3AccessKeyId', 'secretAccessKey', 'accessKeyId'].flatMap((key) => [
    key,
    `*.${key}`,
  ]),
  ...['S3_SECRET_ACCESS_KEY', 'S3_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_ACCESS_KEY_ID'].flatMap(
    (key) => [key, `*.${key}`],
  ),
];

/** Orchestrator probes and scrapes, every few seconds: not worth a line each. */
const QUIET_PATHS = /^\/(health|metrics)(\/|\?|$)/;

/** nestjs-pino's configuration: one pino logger for the app's lines and the HTTP request lines. */
export function loggerParams(config: AppConfig): Params {
  const scrubber = new SecretScrubber(config);
  return {
    pinoHttp: [
      {
        level: config.logging.level,
        timestamp: stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
        redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
        serializers: {
          req: (req: SerializedRequest) => boundedRequest(req, scrubber),
          // An error's text may quote a URL (a failed request's), hence its query.
          err: (err: SerializedError) =>
            Object.assign(err, { message: scrubber.scrub(err.message), stack: scrubber.scrub(err.stack) }),
        },
        hooks: {
          logMethod(args, method) {
            const clean = args.map((arg: unknown) => (typeof arg === 'string' ? scrubber.scrub(arg) : arg));
            method.apply(this, clean as Parameters<typeof method>);
          },
        },
        genReqId: httpRequestId,
        customAttributeKeys: { reqId: 'http_request_id' },
        // Lines written during a request carry its id, not the whole request (the final line has that).
        quietReqLogger: true,
        customLogLevel: (_req: IncomingMessage, res: ServerResponse, error?: Error) =>
          error || res.statusCode >= 500 ? 'error' : 'info',
        autoLogging: { ignore: (req: IncomingMessage) => QUIET_PATHS.test(req.url ?? '') },
      },
      config.logging.format === 'json' ? destination({ dest: 1, sync: true }) : new ReadableLogStream(),
    ],
    assignResponse: true,
  };
}
