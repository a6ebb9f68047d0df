/** The notification module as a service of its own: `npm run service -- notification` (or `node dist/extracted/notification-service/main.js`). */
import { notificationModule } from '../../modules/notification/index.js';
import { runService } from '../run-service.js';

await runService({ module: notificationModule, defaultPort: 3105 });
