import { z } from 'zod';
import type { ApiRoutes } from './api-routes.js';
import type { OpenApiDocument } from './openapi-document.js';

const DocumentBody = z.looseObject({
  openapi: z.string(),
  info: z.looseObject({ title: z.string(), version: z.string() }),
}).describe('an OpenAPI 3.1 document');

/**
 * `GET /openapi.json`: the document of this process's operations, built once at start.
 * @example apiDocumentRoutes(api, () => document)
 */
export function apiDocumentRoutes(api: ApiRoutes, document: () => OpenApiDocument): void {
  api.route({
    operationId: 'describeApi', method: 'get', path: '/openapi.json', summary: 'This API, described in OpenAPI 3.1', tags: ['operations'], access: 'public',
    description: 'Only the operations of the modules this process hosts. Browsable at `/docs/`.',
    responses: { 200: { description: 'The OpenAPI document', body: DocumentBody } },
  }).handle(() => ({
    // OpenAPIObject is an interface, which TypeScript will not read as an open object.
    status: 200, body: document() as unknown as z.input<typeof DocumentBody>,
  }));
}
