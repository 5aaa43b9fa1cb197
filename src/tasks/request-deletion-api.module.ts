import { Module } from '@nestjs/common';
import { RequestDeletionController } from './request-deletion.controller.js';
import { RequestDeletionModule } from '../retention/request-deletion.module.js';

/**
 * DELETE /requests/:request_id, where the role serves the API: beside the other request routes, its own
 * module because deleting composes tasks, images and webhooks (RequestDeletion).
 */
@Module({
  imports: [RequestDeletionModule],
  controllers: [RequestDeletionController],
})
export class RequestDeletionApiModule {}
