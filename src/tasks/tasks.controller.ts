import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../common/api-error-responses.decorator.js';
import { DeliveryStateReader } from './delivery-state-reader.js';
import { REQUEST_ID_NOT_A_UUID, RequestIdParams, UNKNOWN_REQUEST } from './dto/request-id-params.js';
import { RequestStatusDto } from './dto/request-status.dto.js';
import { TasksService } from './tasks.service.js';

@ApiTags('requests')
@Controller()
export class TasksController {
  constructor(
    private readonly tasks: TasksService,
    private readonly deliveries: DeliveryStateReader,
  ) {}

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
  @ApiErrorResponses({ 400: REQUEST_ID_NOT_A_UUID, 404: UNKNOWN_REQUEST })
  async status(@Param() { request_id: requestId }: RequestIdParams): Promise<RequestStatusDto> {
    const task = await this.tasks.getOrFail(requestId);
    return RequestStatusDto.from(task, await this.deliveries.stateOf(requestId));
  }
}
