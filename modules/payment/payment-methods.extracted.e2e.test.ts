/**
 * The payment module's HTTP contract suite, unchanged, against the module running as an
 * extracted service behind the strangler front door (routed `remote`).
 */
import { extractForThisFile } from '../../src/testing/test-platform.js';

extractForThisFile(['payment']);
await import('./payment-methods.e2e.test.js');
