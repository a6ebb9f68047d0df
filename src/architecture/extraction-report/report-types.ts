/**
 * The extraction report as data: what `npm run extraction-report -- <module> --json` prints.
 * Paths are repository-relative with `/`; lines are 1-based. Documented in docs/extraction-readiness.md.
 */

export const REPORT_VERSION = 1;

export interface SourceLocation {
  file: string;
  line: number;
}

// ── synchronous calls (facades) ────────────────────────────────────────────────────────────

/** One `facades.get(Key).method(...)` found in the code. `method` is null when the facade object is passed on untraced. */
export interface FacadeCall {
  caller: string;
  callee: string;
  /** the key's exported name, e.g. `ProductCatalogApi` */
  key: string;
  method: string | null;
  file: string;
  line: number;
}

/** The calls between this module and one other module, grouped by method. */
export interface FacadeTie {
  /** the other module: the callee for calls out, the caller for calls in */
  module: string;
  key: string;
  methods: { name: string; sites: SourceLocation[] }[];
}

/** A `facades.get(...)` whose key the analysis could not trace to a `facadeKey(...)` declaration. */
export interface UnresolvedFacadeCall extends SourceLocation {
  expression: string;
}

export interface FacadeKeyDeclaration {
  /** the exported constant, e.g. `ProductCatalogApi` */
  name: string;
  /** the module named in `facadeKey<…>('<module>')` */
  module: string;
  /** the facade's interface, e.g. `ProductCatalog` */
  interfaceName: string | null;
  methods: string[];
  file: string;
  line: number;
}

export interface CallTies {
  /** the key of this module's own facade, when it offers one */
  offers: FacadeKeyDeclaration | null;
  out: FacadeTie[];
  in: FacadeTie[];
  unresolved: UnresolvedFacadeCall[];
}

// ── imports ────────────────────────────────────────────────────────────────────────────────

export interface KernelImport {
  /** e.g. `src/app/module-definition.ts` */
  file: string;
  importedBy: string[];
}

export interface PublicFaceImport {
  module: string;
  /** `modules/<other>/index.ts` or `modules/<other>/contract.ts` */
  file: string;
  /** the names imported; `type X` when X is only ever imported as a type (and not all of them are) */
  names: string[];
  /** every import of it is `import type` */
  typeOnly: boolean;
  importedBy: string[];
}

export interface ForbiddenImport extends SourceLocation {
  specifier: string;
  /** repository-relative target */
  target: string;
  typeOnly: boolean;
  reason: string;
}

export interface ImportTies {
  kernel: KernelImport[];
  publicFaces: PublicFaceImport[];
  forbidden: ForbiddenImport[];
  /** npm packages and node built-ins the module's code imports */
  packages: string[];
}

// ── events ─────────────────────────────────────────────────────────────────────────────────

export interface PublishedEvent {
  type: string;
  version: number;
  consumers: { module: string; handler: string; version: number; filtered: boolean }[];
}

export interface ConsumedEvent {
  type: string;
  version: number;
  handler: string;
  filtered: boolean;
  publishers: { module: string; version: number }[];
}

export interface EventTies {
  published: PublishedEvent[];
  consumed: ConsumedEvent[];
}

// ── configuration ──────────────────────────────────────────────────────────────────────────

/**
 * - `shared-secret`: every process of the deployment must hold the same value (JWT_SECRET, …)
 * - `shared-setting`: not secret, but every process must agree on it (REDIS_PREFIX, …)
 * - `module-secret`: a secret only the service hosting this module needs
 * - `module-setting`: anything else
 */
export type ConfigKind = 'shared-secret' | 'shared-setting' | 'module-secret' | 'module-setting';

export interface ConfigRead {
  key: string;
  kind: ConfigKind;
  sites: SourceLocation[];
}

export interface ConfigTies {
  reads: ConfigRead[];
  /** what every process needs whatever it hosts, because the kernel reads it */
  everyProcessNeeds: { key: string; kind: ConfigKind; why: string }[];
}

// ── database ───────────────────────────────────────────────────────────────────────────────

/**
 * - `checked`: connected and the schema exists
 * - `unreachable`: no connection (server down, authentication refused, database missing)
 * - `no-schema`: connected, but the module's schema does not exist yet (not migrated)
 * - `failed`: connected, but reading the catalogs failed (the message says why)
 * - `skipped`: not asked for (`--no-database`)
 */
export type DatabaseStatus = 'checked' | 'unreachable' | 'no-schema' | 'failed' | 'skipped';

/** `outgoing`: from this module's schema to another; `incoming`: from another schema to this one. */
export type Direction = 'outgoing' | 'incoming';

export interface ForeignKeyTie {
  name: string;
  direction: Direction;
  fromSchema: string;
  fromTable: string;
  toSchema: string;
  toTable: string;
  definition: string;
}

export interface DependencyTie {
  direction: Direction;
  dependentSchema: string;
  /** as PostgreSQL describes it, e.g. `view orders.order_products` */
  dependent: string;
  referencedSchema: string;
  referenced: string;
}

/** A function whose source text names another schema (PL/pgSQL bodies record no dependencies). */
export interface FunctionReferenceTie {
  direction: Direction;
  schema: string;
  function: string;
  mentions: string;
}

export interface PrivilegeTie {
  /** `outgoing`: the module's role holds it on another schema's object; `incoming`: another role holds it on this schema */
  direction: Direction;
  grantee: string;
  objectType: string;
  schema: string;
  /** `orders.orders`, or the schema name for a schema privilege */
  object: string;
  privileges: string[];
  /** the statement that takes it back */
  revoke: string;
}

export interface MembershipTie {
  /** the role whose rights are inherited or reachable with SET ROLE */
  role: string;
  member: string;
  /** the module's role is the member (it gains rights), or the member owns another schema */
  blocking: boolean;
}

export interface OwnershipTie {
  objectType: string;
  schema: string;
  object: string;
  owner: string;
  /** owned by another module's role (or the module's role owning something elsewhere) */
  blocking: boolean;
}

export interface ExtensionRequirement {
  extension: string;
  usedBy: string[];
}

export interface DatabaseTies {
  status: DatabaseStatus;
  /** the URL checked, password redacted */
  url: string;
  schema: string;
  role: string;
  /** why the database part could not be checked */
  message?: string;
  foreignKeys: ForeignKeyTie[];
  dependencies: DependencyTie[];
  functionReferences: FunctionReferenceTie[];
  privileges: PrivilegeTie[];
  memberships: MembershipTie[];
  ownership: OwnershipTie[];
  extensions: ExtensionRequirement[];
}

// ── verdict ────────────────────────────────────────────────────────────────────────────────

/** `unknown`: nothing blocks in the code, but the database part could not be checked. */
export type VerdictStatus = 'ready' | 'not-ready' | 'unknown';

export type BlockerKind =
  | 'internal-import'
  | 'forbidden-import'
  | 'foreign-key'
  | 'database-dependency'
  | 'function-reference'
  | 'privilege'
  | 'role-membership'
  | 'ownership';

export interface Blocker {
  kind: BlockerKind;
  what: string;
  fix: string;
}

export type NoteKind =
  | 'call-out'
  | 'call-in'
  | 'unresolved-call'
  | 'event-out'
  | 'event-in'
  | 'event-without-publisher'
  | 'config'
  | 'extension'
  | 'ownership'
  | 'database';

export interface Note {
  kind: NoteKind;
  text: string;
}

export interface Verdict {
  status: VerdictStatus;
  headline: string;
  blockers: Blocker[];
  notes: Note[];
}

// ── the whole report ───────────────────────────────────────────────────────────────────────

export interface ExtractionReport {
  reportVersion: typeof REPORT_VERSION;
  module: {
    name: string;
    schema: string;
    role: string;
    folder: string;
    routePrefixes: string[];
    sagas: string[];
  };
  code: { filesAnalysed: number; testFilesSkipped: number };
  calls: CallTies;
  imports: ImportTies;
  events: EventTies;
  config: ConfigTies;
  database: DatabaseTies;
  verdict: Verdict;
}
