/**
 * The user module's HTTP contract suite, unchanged, against the module running as an
 * extracted service behind the strangler front door (routed `remote`).
 */
import { extractForThisFile } from '../../src/testing/test-platform.js';

extractForThisFile(['user']);
await import('./user-api.e2e.test.js');
