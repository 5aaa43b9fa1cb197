import { API_KEY_REQUIRED } from '../access/api-key.guard.js';
import { CallerOwner } from '../access/caller-owner.decorator.js';
import type { Owner } from '../access/owner.js';
import { Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../common/api-error-responses.decorator.js';
import { RejectWhileDrainingGuard } from '../lifecycle/reject-while-draining.guard.js';
import { REQUEST_ID_NOT_A_UUID, RequestIdParams, UNKNOWN_REQUEST } from '../tasks/dto/request-id-params.js';
import { ErrorCodeListDto } from './dto/error-code-list.dto.js';
import { ImagePageDto } from './dto/image-status.dto.js';
import { ImagePageQuery } from './dto/image-page-query.js';
import { RetryAcceptedDto } from './dto/retry-accepted.dto.js';
import { ErrorCodeSummary } from './error-code-summary.js';
import { FailedImageRetry } from './failed-image-retry.js';
import { ImageListing } from './image-listing.js';

@ApiTags('requests')
@Controller('requests/:request_id')
export class ImagesController {
  constructor(
    private readonly listing: ImageListing,
    private readonly errorCodes: ErrorCodeSummary,
    private readonly failedImageRetry: FailedImageRetry,
  ) {}

  @Get('images')
  @ApiOperation({
    operationId: 'listRequestImages',
    summary: "List a request's images, one entry per input URL",
    description:
      "In the CSV's order, a page at a time (`offset`, `limit`), with each image's status, output and preview URLs and error; `status` and `error_code` keep only the images that match.",
  })
  @ApiOkResponse({ type: ImagePageDto, description: "One entry per input URL, in the CSV's order" })
  @ApiErrorResponses({
    401: API_KEY_REQUIRED,
    400: {
      description: 'The request id is not a UUID, or offset/limit is out of range',
      message: 'limit must not be greater than 1000',
      column: 'limit',
    },
    404: UNKNOWN_REQUEST,
  })
  list(
    @Param() { request_id: requestId }: RequestIdParams,
    @Query() page: ImagePageQuery,
    @CallerOwner() owner: Owner,
  ): Promise<ImagePageDto> {
    const filter = { status: page.status, errorCode: page.error_code };
    return this.listing.page(requestId, owner, filter, page.offset, page.limit);
  }

  @Get('error-codes')
  @ApiOperation({
    operationId: 'listRequestErrorCodes',
    summary: "The error codes of a request's failed images",
    description:
      'Each code present among the failed images, with how many have it and what it means in plain words; use a code as `error_code` in `GET /requests/{request_id}/images`.',
  })
  @ApiOkResponse({ type: ErrorCodeListDto, description: 'Most frequent first; empty when no image failed' })
  @ApiErrorResponses({ 401: API_KEY_REQUIRED, 400: REQUEST_ID_NOT_A_UUID, 404: UNKNOWN_REQUEST })
  listErrorCodes(
    @Param() { request_id: requestId }: RequestIdParams,
    @CallerOwner() owner: Owner,
  ): Promise<ErrorCodeListDto> {
    return this.errorCodes.of(requestId, owner);
  }

  @Post('retry')
  @HttpCode(202)
  @UseGuards(RejectWhileDrainingGuard)
  @ApiOperation({
    operationId: 'retryFailedImages',
    summary: "Queue a request's failed images again",
    description:
      'For when a supplier fixed their links: the request goes back to `processing`, completes again and sends a new webhook.',
  })
  @ApiAcceptedResponse({
    type: RetryAcceptedDto,
    description: 'Failed images queued again; the request is processing again',
  })
  @ApiErrorResponses({
    401: API_KEY_REQUIRED,
    400: REQUEST_ID_NOT_A_UUID,
    404: UNKNOWN_REQUEST,
    409: {
      description: 'The request has no failed images',
      message: 'request 7b0e4c2a-5d1f-4e8b-9a3c-2f6d8e1b4a70 has no failed images to retry',
    },
    429: {
      description:
        'The failed images would put more than MAX_QUEUED_IMAGES_PER_KEY of your images in the queue: retry after the `Retry-After` seconds; nothing was queued',
      message:
        'queueing 3 more image(s) would put 1002 of yours in the queue, more than the 1000 allowed (MAX_QUEUED_IMAGES_PER_KEY); nothing was queued: retry when some are done',
    },
    503: {
      description: 'Shutting down: retry after the `Retry-After` seconds',
      message: 'the service is shutting down; retry shortly',
    },
  })
  retry(
    @Param() { request_id: requestId }: RequestIdParams,
    @CallerOwner() owner: Owner,
  ): Promise<RetryAcceptedDto> {
    return this.failedImageRetry.retry(requestId, owner);
  }
}
