import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config.js';
import { dataSourceOptions } from './data-source-options.js';
import { UnitOfWork } from './unit-of-work.js';
import { WalCheckpointer } from './wal-checkpointer.js';

/** The database connection (migrations run at start; entities from each module's forFeature), the UnitOfWork every writer uses, SQLite's WAL checkpointer. */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({ ...dataSourceOptions(config), autoLoadEntities: true }),
    }),
  ],
  providers: [UnitOfWork, WalCheckpointer],
  exports: [UnitOfWork, WalCheckpointer],
})
export class DatabaseModule {}
