import { Controller, Get, NotFoundException, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Public } from '../access/public.decorator.js';
import { DASHBOARD_DIR } from './dashboard-files.js';

/**
 * The dashboard's page at `/` (its scripts and styles are served from /assets by setupApp). The page
 * itself is public: it asks for an API key, and every call it makes sends one.
 */
@ApiExcludeController()
@Public()
@Controller()
export class DashboardController {
  private readonly page = join(DASHBOARD_DIR, 'index.html');

  @Get()
  index(@Res() res: Response): void {
    if (!existsSync(this.page)) {
      throw new NotFoundException('the dashboard is not built: run `npm run build`');
    }
    res.set('Cache-Control', 'no-cache').sendFile(this.page);
  }
}
