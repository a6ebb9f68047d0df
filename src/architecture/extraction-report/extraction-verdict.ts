import type { Blocker, ExtractionReport, Note, PrivilegeTie, Verdict } from './report-types.js';

/**
 * Turns the ties found into a verdict: blockers (ties that break once the module runs in a
 * process and a database of its own), each with what to do about it, and notes for the ties
 * that survive extraction (facade calls become HTTP calls, events already cross processes).
 * Pure: the unit tests hand it a report built by hand.
 */

export type ReportWithoutVerdict = Omit<ExtractionReport, 'verdict'>;

export interface VerdictContext {
  /** which module owns a schema, for naming who must change what */
  moduleOfSchema?: (schema: string) => string | undefined;
}

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;
const list = (items: readonly string[]): string => (items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`);

/** `cm_orders holds SELECT on table products.products`, or for default privileges what future objects will grant. */
export function describePrivilege(privilege: PrivilegeTie): string {
  return privilege.objectType === 'default privileges'
    ? `${privilege.grantee} will get ${privilege.privileges.join(', ')} on the ${privilege.object} (default privileges)`
    : `${privilege.grantee} holds ${privilege.privileges.join(', ')} on ${privilege.objectType} ${privilege.object}`;
}

function codeBlockers(report: ReportWithoutVerdict): Blocker[] {
  return report.imports.forbidden.map((found) => {
    const owner = /^modules\/([^/]+)\//.exec(found.target)?.[1];
    const internal = found.target !== 'modules/registry.ts' && !!owner;
    return {
      kind: internal ? 'internal-import' : 'forbidden-import',
      what: `${found.file}:${found.line} ${found.typeOnly ? 'type-imports' : 'imports'} ${found.target}: ${found.reason}`,
      fix: internal
        ? `import it from modules/${owner}/index.ts or contract.ts (move what is shared into ${owner}'s contract), or call ${owner}'s facade / consume its events instead`
        : 'remove the import: a module depends only on the kernel, its own files and the public faces of other modules',
    };
  });
}

function databaseBlockers(report: ReportWithoutVerdict, context: VerdictContext): Blocker[] {
  const { database, module } = report;
  const ownerOf = (schema: string): string => {
    const owner = context.moduleOfSchema?.(schema);
    return owner ? `the ${owner} module (schema ${schema})` : `the owner of schema ${schema}`;
  };
  const blockers: Blocker[] = [];
  for (const key of database.foreignKeys) {
    const ours = key.direction === 'outgoing';
    blockers.push({
      kind: 'foreign-key',
      what: `foreign key ${key.name}: ${key.fromSchema}.${key.fromTable} → ${key.toSchema}.${key.toTable} (${key.definition})`,
      fix: `drop it in a migration of ${ours ? `the ${module.name} module (migrations/${key.fromSchema}/)` : ownerOf(key.fromSchema)}: `
        + `ALTER TABLE ${key.fromSchema}.${key.fromTable} DROP CONSTRAINT ${key.name}; keep the id as a plain column and check it `
        + `through ${ours ? `${context.moduleOfSchema?.(key.toSchema) ?? key.toSchema}'s facade` : `${module.name}'s facade`} or a local copy fed by events`,
    });
  }
  for (const dependency of database.dependencies) {
    const ours = dependency.direction === 'outgoing';
    blockers.push({
      kind: 'database-dependency',
      what: `${dependency.dependent} depends on ${dependency.referenced}`,
      fix: ours
        ? `make it use only objects of schema ${module.schema} (a copy kept up to date by events, or a facade call in code), or drop it, in a migration of the ${module.name} module`
        : `${ownerOf(dependency.dependentSchema)} must stop using ${dependency.referenced} (a local copy fed by events, or ${module.name}'s facade) before ${module.name} moves`,
    });
  }
  for (const reference of database.functionReferences) {
    const ours = reference.direction === 'outgoing';
    blockers.push({
      kind: 'function-reference',
      what: `function ${reference.function} (schema ${reference.schema}) names schema ${reference.mentions} in its source`,
      fix: ours
        ? `rewrite it to use only tables of schema ${module.schema} (or drop it) in a migration of the ${module.name} module; if the name is a false match (an alias, a comment), rename it`
        : `${ownerOf(reference.schema)} must stop reading schema ${module.schema} in that function before ${module.name} moves`,
    });
  }
  for (const privilege of database.privileges) {
    const ours = privilege.direction === 'outgoing';
    blockers.push({
      kind: 'privilege',
      what: describePrivilege(privilege),
      fix: `${privilege.revoke}; ${ours
        ? `${module.name} reads that data through its owner's facade or events instead`
        : `${privilege.grantee} reaches ${module.name}'s data through its facade or events instead`}`,
    });
  }
  for (const membership of database.memberships.filter((entry) => entry.blocking)) {
    blockers.push({
      kind: 'role-membership',
      what: `${membership.member} is a member of ${membership.role}, so it can use ${membership.role}'s rights`,
      fix: `REVOKE ${membership.role} FROM ${membership.member}`,
    });
  }
  for (const owned of database.ownership.filter((entry) => entry.blocking)) {
    const inOurs = owned.schema === module.schema;
    blockers.push({
      kind: 'ownership',
      what: `${owned.objectType} ${owned.object} (schema ${owned.schema}) is owned by ${owned.owner}`,
      fix: inOurs
        ? `ALTER ${owned.objectType.toUpperCase()} ${owned.object} OWNER TO ${module.role}, or move it to the schema of the module it belongs to`
        : `move it into ${module.schema} or hand it to ${ownerOf(owned.schema)} (ALTER ${owned.objectType.toUpperCase()} ${owned.object} OWNER TO …)`,
    });
  }
  return blockers;
}

function notes(report: ReportWithoutVerdict): Note[] {
  const { calls, events, config, database, module } = report;
  const name = module.name;
  const found: Note[] = [];
  for (const tie of calls.out) {
    const methods = tie.methods.map((method) => `${tie.module}.${method.name}`);
    found.push({
      kind: 'call-out',
      text: `${name} calls ${list(methods)}: ${methods.length === 1 ? 'becomes an HTTP call' : 'these become HTTP calls'} once ${name} runs as its own service; ${tie.module} must be reachable from it (its own service, or hosted beside it)`,
    });
  }
  for (const tie of calls.in) {
    const methods = tie.methods.map((method) => `${name}.${method.name}`);
    found.push({
      kind: 'call-in',
      text: `${tie.module} calls ${list(methods)}: once ${name} is extracted ${tie.module} reaches ${methods.length === 1 ? 'it' : 'them'} over HTTP; the ${name} service must serve its facade and keep ${methods.length === 1 ? 'it' : 'them'} compatible and idempotent`,
    });
  }
  for (const call of calls.unresolved) {
    found.push({
      kind: 'unresolved-call',
      text: `${call.file}:${call.line} ${call.expression}: could not tell whose facade this is; import the key from that module's index.ts or contract.ts so the tie can be traced`,
    });
  }
  const outgoing = events.published.filter((event) => event.consumers.some((consumer) => consumer.module !== name));
  if (outgoing.length > 0) {
    const described = outgoing.map((event) => `${event.type} → ${[...new Set(event.consumers.map((consumer) => consumer.module))].join(', ')}`);
    found.push({ kind: 'event-out', text: `publishes ${described.join('; ')}: delivered through the outbox and Redis/BullMQ wherever the consumers run; nothing to change` });
  }
  const incoming = events.consumed.filter((event) => event.publishers.some((publisher) => publisher.module !== name));
  if (incoming.length > 0) {
    const described = incoming.map((event) => `${event.type} ← ${[...new Set(event.publishers.map((publisher) => publisher.module))].join(', ')}`);
    found.push({ kind: 'event-in', text: `consumes ${described.join('; ')}: its own queue in Redis receives them wherever it runs; nothing to change` });
  }
  for (const event of events.consumed) {
    if (event.publishers.length === 0) {
      found.push({ kind: 'event-without-publisher', text: `subscribes to ${event.type} (handler ${event.handler}) but no module publishes it` });
    } else if (!event.publishers.some((publisher) => publisher.version === event.version)) {
      found.push({
        kind: 'event-without-publisher',
        text: `subscribes to ${event.type} v${event.version} (handler ${event.handler}) but it is published as ${event.publishers.map((p) => `v${p.version} by ${p.module}`).join(', ')}`,
      });
    }
  }
  const shared = config.reads.filter((read) => read.kind === 'shared-secret' || read.kind === 'shared-setting').map((read) => read.key);
  if (shared.length > 0) {
    found.push({ kind: 'config', text: `reads ${list(shared)}: the ${name} service needs the same value${shared.length === 1 ? '' : 's'} as every other process` });
  }
  const ownSecrets = config.reads.filter((read) => read.kind === 'module-secret').map((read) => read.key);
  if (ownSecrets.length > 0) {
    found.push({ kind: 'config', text: `${list(ownSecrets)} ${ownSecrets.length === 1 ? 'is a secret' : 'are secrets'} of ${name} alone: give ${ownSecrets.length === 1 ? 'it' : 'them'} to the ${name} service only, and take ${ownSecrets.length === 1 ? 'it' : 'them'} away from the others` });
  }
  if (config.everyProcessNeeds.length > 0) {
    found.push({
      kind: 'config',
      text: `like every process, the ${name} service needs the deployment's ${list(config.everyProcessNeeds.map((need) => need.key))}; its schema moves to a database of its own (${name.toUpperCase()}_DATABASE_URL)`,
    });
  }
  for (const extension of database.extensions) {
    found.push({ kind: 'extension', text: `needs extension ${extension.extension} in its own database (used by ${list(extension.usedBy)})` });
  }
  for (const owned of database.ownership.filter((entry) => !entry.blocking)) {
    found.push({ kind: 'ownership', text: `${owned.objectType} ${owned.object} is owned by ${owned.owner}, not ${module.role}: ALTER ${owned.objectType.toUpperCase()} ${owned.object} OWNER TO ${module.role} so it moves with the schema` });
  }
  for (const membership of database.memberships.filter((entry) => !entry.blocking)) {
    found.push({ kind: 'database', text: `${membership.member} is a member of ${membership.role} and can act as it: fine for an operator or provisioning role, not for another module` });
  }
  if (database.status !== 'checked') {
    found.push({ kind: 'database', text: `database part not checked: ${database.message ?? database.status}` });
  } else if (database.message) {
    found.push({ kind: 'database', text: database.message });
  }
  return found;
}

/**
 * @example judge(report).status // → 'ready' | 'not-ready' | 'unknown'
 */
export function judge(report: ReportWithoutVerdict, context: VerdictContext = {}): Verdict {
  const inCode = codeBlockers(report);
  const inDatabase = databaseBlockers(report, context);
  const blockers = [...inCode, ...inDatabase];
  const name = report.module.name;
  const callees = report.calls.out.map((tie) => tie.module);
  const callCount = report.calls.out.reduce((sum, tie) => sum + tie.methods.length, 0);
  let status: Verdict['status'];
  let headline: string;
  if (blockers.length > 0) {
    status = 'not-ready';
    const where = [inCode.length ? `${inCode.length} in the code` : '', inDatabase.length ? `${inDatabase.length} in the database` : ''].filter(Boolean).join(', ');
    headline = `${name} is not ready to extract: ${plural(blockers.length, 'blocker')} (${where})`;
  } else if (report.database.status !== 'checked') {
    status = 'unknown';
    headline = `nothing in ${name}'s code blocks its extraction; unknown for the database part (${report.database.message ?? report.database.status})`;
  } else {
    status = 'ready';
    headline = `${name} is ready to extract: nothing blocks it; ${callCount > 0
      ? `${plural(callCount, 'synchronous call')} to ${list(callees)} become${callCount === 1 ? 's an HTTP call' : ' HTTP calls'}`
      : 'it calls no other module synchronously'}`;
  }
  return { status, headline, blockers, notes: notes(report) };
}
