/** The payment module as a service of its own: `npm run service -- payment` (or `node dist/extracted/payment-service/main.js`). */
import { paymentModule } from '../../modules/payment/index.js';
import { runService } from '../run-service.js';

await runService({ module: paymentModule, defaultPort: 3103 });
