/** The product module as a service of its own: `npm run service -- product` (or `node dist/extracted/product-service/main.js`). */
import { productModule } from '../../modules/product/index.js';
import { runService } from '../run-service.js';

await runService({ module: productModule, defaultPort: 3102 });
