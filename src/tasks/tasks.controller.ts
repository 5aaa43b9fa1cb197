import { Controller, Get, Param } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { WebhooksService } from '../webhooks/webhooks.service.js';
import { RequestStatusDto } from './dto/request-status.dto.js';
import { TasksService } from './tasks.service.js';

@ApiTags('requests')
@Controller()
export class TasksController {
  constructor(
    private readonly tasks: TasksService,
    private readonly webhooks: WebhooksService,
  ) {}

  @Get('status/:request_id')
  @ApiOkResponse({ type: RequestStatusDto })
  @ApiNotFoundResponse({ description: 'Unknown request id' })
  async status(@Param('request_id') requestId: string): Promise<RequestStatusDto> {
    const task = await this.tasks.getOrFail(requestId);
    return RequestStatusDto.from(task, await this.webhooks.stateOf(requestId));
  }
}
