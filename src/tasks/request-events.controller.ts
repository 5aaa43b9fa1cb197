import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { API_KEY_REQUIRED } from '../access/api-key.guard.js';
import { CallerIdentity } from '../access/caller-identity.js';
import { CallerOwner } from '../access/caller-owner.decorator.js';
import type { Owner } from '../access/owner.js';
import { ApiErrorResponses } from '../common/api-error-responses.decorator.js';
import { REQUEST_ID_NOT_A_UUID, RequestIdParams, UNKNOWN_REQUEST } from './dto/request-id-params.js';
import { RequestProgressStreams } from './request-progress-streams.js';

@ApiTags('requests')
@Controller('requests/:request_id/events')
export class RequestEventsController {
  constructor(private readonly streams: RequestProgressStreams) {}

  @Get()
  @ApiOperation({
    operationId: 'streamRequestProgress',
    summary: "Follow a request's progress live (Server-Sent Events)",
    description: [
      'A `text/event-stream` that sends the request at once, then again whenever its counters change',
      '(read from the database every `SSE_POLL_MS`, whichever process does the work):',
      '`event: progress` while it is processing, then one `event: completed` and the stream ends.',
      'Each `data:` is a `RequestSummary` as JSON; lines starting with `:` are keep-alive comments.',
      "Send the API key as on any call (a browser's `EventSource` cannot: read the stream with `fetch`).",
    ].join(' '),
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description: '`progress` events, then one `completed` event',
    content: {
      'text/event-stream': {
        schema: { type: 'string' },
        example:
          'event: progress\ndata: {"request_id":"7b0e4c2a-5d1f-4e8b-9a3c-2f6d8e1b4a70","status":"processing","progress":"1/3",…}\n\n',
      },
    },
  })
  @ApiErrorResponses({
    400: REQUEST_ID_NOT_A_UUID,
    401: API_KEY_REQUIRED,
    404: UNKNOWN_REQUEST,
    429: {
      description:
        'This client already has `SSE_MAX_STREAMS_PER_KEY` progress streams open (per API key, or per address while the service is open)',
      message:
        'more than 10 progress streams open for this client (SSE_MAX_STREAMS_PER_KEY); close one and try again',
    },
    503: {
      description: 'Too many progress streams are open in this process (`SSE_MAX_STREAMS`)',
      message: 'too many progress streams open (SSE_MAX_STREAMS); try again later',
    },
  })
  stream(
    @Param() { request_id: requestId }: RequestIdParams,
    @CallerOwner() owner: Owner,
    @CallerIdentity() client: string,
    @Res() res: Response,
  ): Promise<void> {
    return this.streams.open(requestId, owner, client, res);
  }
}
