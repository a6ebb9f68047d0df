/** The user module as a service of its own: `npm run service -- user` (or `node dist/extracted/user-service/main.js`). */
import { userModule } from '../../modules/user/index.js';
import { runService } from '../run-service.js';

await runService({ module: userModule, defaultPort: 3101 });
