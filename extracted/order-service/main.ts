/** The order module as a service of its own: `npm run service -- order` (or `node dist/extracted/order-service/main.js`). */
import { orderModule } from '../../modules/order/index.js';
import { runService } from '../run-service.js';

await runService({ module: orderModule, defaultPort: 3104 });
