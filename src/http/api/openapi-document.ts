import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { ApiCatalogue } from './api-catalogue.js';
import type { DocumentedOperation } from './operation.js';
import { openApiPath } from './path-template.js';
import { problemResponses } from './problem-responses.js';

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

export interface ApiInfo {
  title: string;
  version: string;
  description: string;
}

const BEARER = 'bearerAuth';
const WHO: Record<DocumentedOperation['access'], string> = {
  public: 'Open to anyone.',
  user: 'Needs a signed-in user (a bearer access token from `POST /api/v1/auth/login`).',
  admin: 'Needs an access token of a user with the admin role.',
};

function successResponses(operation: DocumentedOperation): Record<string, ResponseConfig> {
  return Object.fromEntries(Object.entries(operation.responses).map(([status, spec]) => [status, {
    description: spec.description,
    ...(spec.headers ? { headers: spec.headers } : {}),
    ...(spec.body ? { content: { 'application/json': { schema: spec.body } } } : {}),
  }]));
}

function routeConfig(operation: DocumentedOperation): RouteConfig {
  const { params, query, headers, body } = operation.request ?? {};
  return {
    operationId: operation.operationId,
    method: operation.method,
    path: openApiPath(operation.path),
    summary: operation.summary,
    description: [operation.description, WHO[operation.access]].filter(Boolean).join('\n\n'),
    tags: [...operation.tags],
    security: operation.access === 'public' ? [] : [{ [BEARER]: [] }],
    request: {
      ...(params ? { params } : {}),
      ...(query ? { query } : {}),
      ...(headers ? { headers } : {}),
      ...(body ? { body: { required: true, content: { 'application/json': { schema: body } } } } : {}),
    },
    responses: { ...successResponses(operation), ...problemResponses(operation) },
  };
}

/**
 * The OpenAPI 3.1 document of the operations a process serves (and only those: a process
 * hosting some modules describes those). Build it once at start; it does not change after.
 * @example const document = openApiDocument(catalogue, { title: 'Commerce API', version: '1.0.0', description: '…' })
 */
export function openApiDocument(catalogue: ApiCatalogue, info: ApiInfo): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', BEARER, {
    type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from `POST /api/v1/auth/login`.',
  });
  for (const operation of catalogue.operations) registry.registerPath(routeConfig(operation));
  const used = [...new Set(catalogue.operations.flatMap((operation) => operation.tags))];
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { ...info },
    servers: [{ url: '/', description: 'this server' }],
    tags: used.map((name) => ({ name, ...(catalogue.tags.has(name) ? { description: catalogue.tags.get(name)! } : {}) })),
  });
}
