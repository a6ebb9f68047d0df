import { z } from 'zod';

export const RouteMode = z.enum(['local', 'remote', 'canary', 'shadow']);
export type RouteMode = z.infer<typeof RouteMode>;

/** Who serves one module's traffic at the front door. */
export interface ModuleRoute {
  module: string;
  /**
   * `local`: this process serves it. `remote`: the extracted service does. `canary`: the
   * extracted service gets requests marked `x-route-to: extracted` and/or a share of the rest.
   * `shadow`: this process serves, and a copy of each read goes to the extracted service to compare.
   */
  mode: RouteMode;
  canaryPercent: number;
  canaryHeader: boolean;
  /** one fixed address for the module's service, instead of registered instances */
  targetUrl: string | null;
  revision: number;
  updatedBy: string;
  updatedAt: string;
}

export const RouteChange = z.strictObject({
  mode: RouteMode,
  canaryPercent: z.number().int().min(0).max(100).optional().describe('share of requests sent to the extracted service in canary mode (default 0)'),
  canaryHeader: z.boolean().optional().describe('in canary mode, also send requests carrying `x-route-to: extracted` (default true)'),
  targetUrl: z.url({ protocol: /^https?$/ }).nullable().optional().describe('a fixed address (Kubernetes Service, load balancer) instead of registered instances; null to clear'),
});
export type RouteChange = z.infer<typeof RouteChange>;

export const localRoute = (module: string): ModuleRoute => ({
  module, mode: 'local', canaryPercent: 0, canaryHeader: true, targetUrl: null, revision: 0, updatedBy: 'default', updatedAt: new Date(0).toISOString(),
});
