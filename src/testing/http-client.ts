export interface HttpResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/** One request and its answer, as a test's recorder sees it (see openapi-conformance.ts). */
export interface Exchange {
  method: string;
  /** the path without its query string */
  path: string;
  status: number;
  headers: Headers;
  body: unknown;
}

export interface RequestOptions {
  body?: unknown;
  /** sent as is, for malformed-input tests */
  rawBody?: string;
  token?: string;
  headers?: Record<string, string>;
}

/**
 * A small JSON client over fetch for API tests.
 * @example const res = await http.post('/api/v1/auth/login', { body: { email, password } })
 */
export class HttpClient {
  /** `record`, when given, sees every exchange: how the test platform checks answers against the OpenAPI document */
  constructor(readonly baseUrl: string, private readonly record?: (exchange: Exchange) => void) {}

  async request<T = Record<string, unknown>>(method: string, path: string, options: RequestOptions = {}): Promise<HttpResponse<T>> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: the test sees the raw text
    }
    this.record?.({ method, path: new URL(path, this.baseUrl).pathname, status: response.status, headers: response.headers, body: parsed });
    return { status: response.status, headers: response.headers, body: parsed as T };
  }

  get<T = Record<string, unknown>>(path: string, options?: RequestOptions) { return this.request<T>('GET', path, options); }
  post<T = Record<string, unknown>>(path: string, options?: RequestOptions) { return this.request<T>('POST', path, options); }
  put<T = Record<string, unknown>>(path: string, options?: RequestOptions) { return this.request<T>('PUT', path, options); }
  patch<T = Record<string, unknown>>(path: string, options?: RequestOptions) { return this.request<T>('PATCH', path, options); }
}
