import { DataSource } from 'typeorm';
import { loadConfig } from './src/config/app-config.js';
import { standaloneDataSourceOptions } from './src/standalone-data-source.js';

/** The data source of the TypeORM CLI: `npm run migration:run`, `migration:revert`, `migration:show`. */
export default new DataSource({ ...standaloneDataSourceOptions(loadConfig()), migrationsRun: false });
