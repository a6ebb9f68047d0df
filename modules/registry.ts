import type { ModuleDefinition } from '../src/app/module-definition.js';
import { notificationModule } from './notification/index.js';
import { orderModule } from './order/index.js';
import { paymentModule } from './payment/index.js';
import { productModule } from './product/index.js';
import { userModule } from './user/index.js';

/** Every business module, in start-up order. The only file that knows them all. */
export const allModules: readonly ModuleDefinition[] = [userModule, productModule, paymentModule, orderModule, notificationModule];
