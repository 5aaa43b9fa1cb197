import type { RequestCompletedEvent } from '../events.js';
import { RenditionSpecDto } from '../tasks/dto/rendition-spec.dto.js';
import type { RequestCompletedPayloadDto } from './dto/request-completed-payload.dto.js';

/** The JSON body of a `request.completed` webhook. */
export function requestCompletedPayload(
  event: RequestCompletedEvent,
  publicUrl: string,
): RequestCompletedPayloadDto {
  return {
    type: 'request.completed',
    request_id: event.requestId,
    status: event.status,
    total_images: event.totalImages,
    processed_images: event.processedImages,
    failed_images: event.failedImages,
    reused_images: event.reusedImages ?? 0,
    status_url: `${publicUrl}/status/${event.requestId}`,
    export_url: `${publicUrl}/export-csv/${event.requestId}`,
    images_url: `${publicUrl}/requests/${event.requestId}/images`,
    timestamp: new Date(event.completedAt).toISOString(),
    ...(event.renditions && {
      renditions: event.renditions.map((rendition) => RenditionSpecDto.from(rendition)),
    }),
  };
}
