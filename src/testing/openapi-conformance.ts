import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { OpenApiDocument } from '../http/api/openapi-document.js';
import type { Exchange } from './http-client.js';

interface DocumentedOperation {
  key: string;
  method: string;
  template: string;
  pattern: RegExp;
  responses: Record<string, { content?: Record<string, { schema?: unknown }>; headers?: Record<string, { required?: boolean }> }>;
}

export interface ConformanceReport {
  /** exchanges whose answer the document does not allow, each said in one line */
  violations: string[];
  /** `GET /api/v1/orders/{id}` of every documented operation some exchange reached */
  exercised: Set<string>;
  /** every documented operation, the same way */
  documented: string[];
}

const DOCUMENT_ID = 'https://commerce.test/openapi.json';
const escapePointer = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * The test's copy of the document closes every object that does not say it is open, so an
 * answer with an undocumented field fails here; the served document stays open to additions.
 */
function closeObjects(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closeObjects);
  if (!node || typeof node !== 'object') return node;
  const copy = Object.fromEntries(Object.entries(node).map(([key, value]) => [key, closeObjects(value)]));
  if (copy.type === 'object' && copy.properties && !('additionalProperties' in copy)) copy.additionalProperties = false;
  return copy;
}

function operationsOf(document: OpenApiDocument): DocumentedOperation[] {
  const operations: DocumentedOperation[] = [];
  for (const [template, item] of Object.entries(document.paths ?? {})) {
    for (const method of ['get', 'put', 'post', 'patch', 'delete'] as const) {
      const operation = item[method];
      if (!operation) continue;
      const pattern = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}/?$`);
      operations.push({ key: `${method.toUpperCase()} ${template}`, method: method.toUpperCase(), template, pattern, responses: operation.responses as DocumentedOperation['responses'] });
    }
  }
  // A literal segment wins over a parameter, as in the router: /users/me before /users/{id}.
  return operations.sort((a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0));
}

/**
 * Checks recorded exchanges against an OpenAPI 3.1 document: each answer to a documented
 * operation must have a documented status, media type, required headers and a body valid
 * against the schema (JSON Schema 2020-12, with formats). Exchanges the document does not
 * describe (an unknown path, the admin pages) are left to the tests that made them.
 * @example const report = new OpenApiConformance(document).check(t.exchanges)
 */
export class OpenApiConformance {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly operations: DocumentedOperation[];
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(document: OpenApiDocument) {
    addFormats.default(this.ajv);
    this.ajv.addSchema({ ...(closeObjects(document) as object), $id: DOCUMENT_ID });
    this.operations = operationsOf(document);
  }

  check(exchanges: readonly Exchange[]): ConformanceReport {
    const report: ConformanceReport = { violations: [], exercised: new Set(), documented: this.operations.map((operation) => operation.key) };
    for (const exchange of exchanges) {
      const operation = this.operations.find((candidate) => candidate.method === exchange.method && candidate.pattern.test(exchange.path));
      if (!operation) continue;
      report.exercised.add(operation.key);
      const fault = this.fault(operation, exchange);
      if (fault) report.violations.push(`${exchange.method} ${exchange.path} → ${exchange.status} (${operation.key}): ${fault}`);
    }
    return report;
  }

  private fault(operation: DocumentedOperation, exchange: Exchange): string | undefined {
    const response = operation.responses[String(exchange.status)];
    if (!response) return `status ${exchange.status} is not documented (documented: ${Object.keys(operation.responses).join(', ')})`;
    const missing = Object.entries(response.headers ?? {}).filter(([name, header]) => header.required && !exchange.headers.has(name)).map(([name]) => name);
    if (missing.length > 0) return `required header ${missing.join(', ')} missing`;
    const mediaType = (exchange.headers.get('content-type') ?? '').split(';')[0]!.trim();
    if (!response.content) return exchange.body === undefined ? undefined : `a body where none is documented (${mediaType})`;
    if (!response.content[mediaType]) return `media type ${mediaType || 'none'} is not documented (documented: ${Object.keys(response.content).join(', ')})`;
    const validate = this.validator(operation, String(exchange.status), mediaType);
    if (validate(exchange.body)) return undefined;
    return (validate.errors ?? []).map((error) => `${error.instancePath || 'body'} ${error.message}${error.params && 'additionalProperty' in error.params ? ` (${String(error.params.additionalProperty)})` : ''}`).join('; ');
  }

  private validator(operation: DocumentedOperation, status: string, mediaType: string): ValidateFunction {
    const pointer = ['paths', operation.template, operation.method.toLowerCase(), 'responses', status, 'content', mediaType, 'schema'].map(escapePointer).join('/');
    let validate = this.validators.get(pointer);
    if (!validate) this.validators.set(pointer, (validate = this.ajv.compile({ $ref: `${DOCUMENT_ID}#/${pointer}` })));
    return validate;
  }
}
