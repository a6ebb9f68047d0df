import type { ModuleDefinition } from '../src/app/module-definition.js';
import { notificationModule } from './notification/index.js';
import { productModule } from './product/index.js';
import { userModule } from './user/index.js';

/** Every business module, in start-up order. The only file that knows them all. */
export const allModules: readonly ModuleDefinition[] = [userModule, productModule, notificationModule];
