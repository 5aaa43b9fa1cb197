import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, type PathItemObject, SwaggerModule } from '@nestjs/swagger';
import { RequestCompletedPayloadDto } from '../webhooks/dto/request-completed-payload.dto.js';

/** The `requestCompleted` webhook: what Pixelmill POSTs to a request's webhook_url (Standard Webhooks). */
const REQUEST_COMPLETED_WEBHOOK: PathItemObject = {
  post: {
    operationId: 'requestCompleted',
    summary: 'A request finished',
    description: [
      "POSTed to the request's `webhook_url` when its status becomes final (and again after a retry finishes it).",
      'Delivery is at least once: retried on a timeout (15 s), a connection failure or any non-2xx answer (redirects are not followed),',
      'at once, then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h; `Retry-After` is honoured and `410 Gone` stops it.',
      'Every attempt of one message carries the same `webhook-id`: de-duplicate by it.',
      'With WEBHOOK_SECRET set, verify `webhook-signature` as Standard Webhooks says (`new Webhook(secret).verify(body, headers)` of the `standardwebhooks` package).',
    ].join(' '),
    tags: ['webhooks'],
    parameters: [
      {
        name: 'webhook-id',
        in: 'header',
        required: true,
        description: 'The message id, the same on every attempt of one message',
        schema: { type: 'string' },
        example: 'msg_2nX4b8c9d0e1f2g3h4i5j6k7l8m',
      },
      {
        name: 'webhook-timestamp',
        in: 'header',
        required: true,
        description: 'Seconds since the Unix epoch when this attempt was signed',
        schema: { type: 'string', pattern: '^[0-9]+$' },
        example: '1795971602',
      },
      {
        name: 'webhook-signature',
        in: 'header',
        required: false,
        description:
          '`v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">`; sent when WEBHOOK_SECRET is set',
        schema: { type: 'string', pattern: '^v1,' },
        example: 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
      },
    ],
    requestBody: {
      required: true,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/RequestCompletedPayload' } } },
    },
    responses: {
      '200': { description: 'Received (any 2xx counts as delivered)' },
      '410': { description: 'Gone: Pixelmill stops delivering this message' },
      default: { description: 'Anything else (or no answer within 15 s) is retried' },
    },
  },
};

/** The OpenAPI 3.1 document of the HTTP API and of the webhook it sends, built from the controllers' decorators. */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('Pixelmill')
    .setDescription(
      'Upload a product CSV of image URLs; every image is fetched, made web-ready (upright, sRGB, JPEG) and hosted. ' +
        'Every error answers the `ErrorResponse` body: `{ statusCode, message, errors: [{ row, column, message }] }`.',
    )
    .setVersion('1.0')
    .addServer('/', 'The server that serves this document')
    .addTag('requests', 'Upload a CSV, follow its request, export it, retry its failed images')
    .addTag('files', 'The processed images')
    .addTag('webhooks', 'What Pixelmill sends to a request’s webhook_url')
    // With API_KEYS set, every operation but the output files needs one of these (either header).
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key from API_KEYS' }, 'bearer')
    .addApiKey(
      { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'An API key from API_KEYS' },
      'apiKey',
    )
    .addSecurityRequirements('bearer')
    .addSecurityRequirements('apiKey')
    .build();
  return SwaggerModule.createDocument(
    app,
    { ...config, webhooks: { requestCompleted: REQUEST_COMPLETED_WEBHOOK } },
    { extraModels: [RequestCompletedPayloadDto] },
  );
}
