import type { DataSourceOptions } from 'typeorm';
import type { AppConfig } from './config/app-config.js';
import { dataSourceOptions } from './database/data-source-options.js';
import { Image } from './images/image.entity.js';
import { Product } from './images/product.entity.js';
import { Task } from './tasks/task.entity.js';
import { WebhookDelivery } from './webhooks/webhook-delivery.entity.js';

/**
 * The data source options of a process outside Nest (the migration CLI, the benches, the queue contract
 * suite): every stored entity listed here, as autoLoadEntities gathers them from the modules in the app.
 */
export function standaloneDataSourceOptions(config: AppConfig): DataSourceOptions {
  return { ...dataSourceOptions(config), entities: [Task, Product, Image, WebhookDelivery] };
}
