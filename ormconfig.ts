import { DataSource } from 'typeorm';
import { loadConfig } from './src/config/app-config.js';
import { dataSourceOptions } from './src/database/data-source-options.js';

/** The data source of the TypeORM CLI: `npm run migration:run`, `migration:revert`, `migration:show`. */
export default new DataSource({ ...dataSourceOptions(loadConfig()), migrationsRun: false });
