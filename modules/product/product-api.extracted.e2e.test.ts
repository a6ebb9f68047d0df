/**
 * The product module's HTTP contract suite, unchanged, against the module running as an
 * extracted service behind the strangler front door (routed `remote`).
 */
import { extractForThisFile } from '../../src/testing/test-platform.js';

extractForThisFile(['product']);
await import('./product-api.e2e.test.js');
