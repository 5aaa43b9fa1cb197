import { Module } from '@nestjs/common';
import { DashboardController } from './dashboard.controller.js';

/** The web dashboard at `/`, where the role serves the API. */
@Module({ controllers: [DashboardController] })
export class DashboardApiModule {}
