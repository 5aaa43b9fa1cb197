import type { Owner } from '../access/owner.js';
import { CallerOwner } from '../access/caller-owner.decorator.js';
import { API_KEY_REQUIRED } from '../access/api-key.guard.js';
import { Controller, Delete, HttpCode, Param, UseGuards } from '@nestjs/common';
import { ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../common/api-error-responses.decorator.js';
import { RejectWhileDrainingGuard } from '../lifecycle/reject-while-draining.guard.js';
import { RequestDeletion } from '../retention/request-deletion.js';
import { REQUEST_ID_NOT_A_UUID, RequestIdParams, UNKNOWN_REQUEST } from './dto/request-id-params.js';

@ApiTags('requests')
@Controller()
export class RequestDeletionController {
  constructor(private readonly deletion: RequestDeletion) {}

  @Delete('requests/:request_id')
  @HttpCode(204)
  @UseGuards(RejectWhileDrainingGuard)
  @ApiOperation({
    operationId: 'deleteRequest',
    summary: 'Delete a finished request and its output images',
    description:
      'Removes the request, its rows and its output files or objects; afterwards its status, images, export and output URLs answer 404. A request that is still processing is not cancelled: the answer is 409, and it can be deleted once it has finished.',
  })
  @ApiNoContentResponse({ description: 'Deleted, with its output images' })
  @ApiErrorResponses({
    400: REQUEST_ID_NOT_A_UUID,
    401: API_KEY_REQUIRED,
    404: UNKNOWN_REQUEST,
    409: {
      description: 'The request is still processing',
      message:
        'request 7b0e4c2a-5d1f-4e8b-9a3c-2f6d8e1b4a70 is still processing; delete it once it has finished',
    },
    503: {
      description: 'Shutting down: retry after the `Retry-After` seconds',
      message: 'the service is shutting down; retry shortly',
    },
  })
  remove(@Param() { request_id: requestId }: RequestIdParams, @CallerOwner() owner: Owner): Promise<void> {
    return this.deletion.delete(requestId, owner);
  }
}
