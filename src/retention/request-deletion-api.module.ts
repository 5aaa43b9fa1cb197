import { Module } from '@nestjs/common';
import { RequestDeletionController } from './request-deletion.controller.js';
import { RequestDeletionModule } from './request-deletion.module.js';

/** DELETE /requests/:request_id, where the role serves the API. */
@Module({
  imports: [RequestDeletionModule],
  controllers: [RequestDeletionController],
})
export class RequestDeletionApiModule {}
