import { Controller, Get, Param } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { DeliveryStateReader } from './delivery-state-reader.js';
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
  @ApiOkResponse({ type: RequestStatusDto })
  @ApiNotFoundResponse({ description: 'Unknown request id' })
  async status(@Param('request_id') requestId: string): Promise<RequestStatusDto> {
    const task = await this.tasks.getOrFail(requestId);
    return RequestStatusDto.from(task, await this.deliveries.stateOf(requestId));
  }
}
