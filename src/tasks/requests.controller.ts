import { API_KEY_REQUIRED } from '../access/api-key.guard.js';
import { CallerOwner } from '../access/caller-owner.decorator.js';
import type { Owner } from '../access/owner.js';
import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../common/api-error-responses.decorator.js';
import { DeliveryStateReader } from './delivery-state-reader.js';
import { REQUEST_ID_NOT_A_UUID, RequestIdParams, UNKNOWN_REQUEST } from './dto/request-id-params.js';
import { RequestListDto, RequestListQuery } from './dto/request-list.dto.js';
import { RequestStatusDto } from './dto/request-status.dto.js';
import { QueueCounters } from './queue-counters.js';
import { RequestList } from './request-list.js';
import { TasksService } from './tasks.service.js';

@ApiTags('requests')
@Controller()
/** The client's requests: the list and each one's status. */
export class RequestsController {
  constructor(
    private readonly tasks: TasksService,
    private readonly deliveries: DeliveryStateReader,
    private readonly requestList: RequestList,
    private readonly queueCounters: QueueCounters,
  ) {}

  @Get('requests')
  @ApiOperation({
    operationId: 'listRequests',
    summary: 'List your requests, newest first',
    description:
      "The caller's requests (those of its API key) with their counters, a page at a time: pass `next_cursor` as `cursor` for the next page.",
  })
  @ApiOkResponse({ type: RequestListDto, description: 'One page of requests, newest first' })
  @ApiErrorResponses({
    401: API_KEY_REQUIRED,
    400: {
      description: 'limit out of range, or a cursor that no page gave',
      message: 'limit must not be greater than 100',
      column: 'limit',
    },
  })
  list(@Query() query: RequestListQuery, @CallerOwner() owner: Owner): Promise<RequestListDto> {
    return this.requestList.page(owner, query.limit, query.cursor);
  }

  @Get('status/:request_id')
  @ApiOperation({
    operationId: 'getRequestStatus',
    summary: 'Get the status and progress of a request',
    description:
      '`processing` while any image is unfinished, then `completed`, `completed_with_errors` or `failed`. Poll it, or wait for the webhook.',
  })
  @ApiOkResponse({
    type: RequestStatusDto,
    description: 'The request, its counters and its webhook delivery',
  })
  @ApiErrorResponses({ 400: REQUEST_ID_NOT_A_UUID, 401: API_KEY_REQUIRED, 404: UNKNOWN_REQUEST })
  async status(
    @Param() { request_id: requestId }: RequestIdParams,
    @CallerOwner() owner: Owner,
  ): Promise<RequestStatusDto> {
    const task = await this.tasks.getOrFail(requestId, owner);
    const [queue, webhook] = await Promise.all([
      this.queueCounters.statesOf([requestId]),
      this.deliveries.stateOf(requestId),
    ]);
    return RequestStatusDto.withWebhook(task, queue.get(requestId), webhook);
  }
}
