import { describePrivilege } from './extraction-verdict.js';
import type { ExtractionReport, FacadeTie, SourceLocation } from './report-types.js';

/** The report as text for a terminal: six numbered sections, then the verdict. */

const VERDICT_LABEL = { ready: 'READY TO EXTRACT', 'not-ready': 'NOT READY', unknown: 'UNKNOWN (database part not checked)' } as const;

const at = (site: SourceLocation): string => `${site.file}:${site.line}`;
const none = (what: string): string => `    none${what ? ` ${what}` : ''}`;

function ties(lines: string[], found: readonly FacadeTie[], arrow: string, describe: (tie: FacadeTie) => string): void {
  for (const tie of found) {
    lines.push(`    ${arrow} ${describe(tie)}`);
    const width = Math.max(...tie.methods.map((method) => method.name.length));
    for (const method of tie.methods) lines.push(`        ${method.name.padEnd(width)}  ${method.sites.map(at).join(', ')}`);
  }
}

function groupByFolder(files: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const file of files) {
    const folder = file.split('/').slice(0, -1).join('/');
    counts.set(folder, (counts.get(folder) ?? 0) + 1);
  }
  return [...counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([folder, count]) => `${folder}/ (${count})`).join(', ');
}

/**
 * @example process.stdout.write(renderText(report))
 */
export function renderText(report: ExtractionReport): string {
  const { module, calls, imports, events, config, database, verdict } = report;
  const lines: string[] = [];
  lines.push(`Extraction report: ${module.name}  (schema ${module.schema}, role ${module.role}, ${module.folder}/)`);
  lines.push(`Verdict: ${VERDICT_LABEL[verdict.status]} — ${verdict.headline}`);
  lines.push(`Analysed ${report.code.filesAnalysed} source files of ${module.name} (${report.code.testFilesSkipped} test files skipped) and the manifests of every module.`);
  if (module.routePrefixes.length > 0) lines.push(`Routes it owns (what the proxy will send to it): ${module.routePrefixes.join(', ')}`);
  lines.push('');

  lines.push('1. Synchronous calls (facades; allowed ties, they become HTTP calls)');
  lines.push('  out: facades this module calls');
  if (calls.out.length === 0) lines.push(none('(it calls no other module synchronously)'));
  ties(lines, calls.out, '→', (tie) => `${tie.module}  (${tie.key})`);
  lines.push(`  in: who calls this module's facade${calls.offers ? ` (${calls.offers.name}: ${calls.offers.methods.join(', ')})` : ''}`);
  if (calls.in.length === 0) lines.push(none(calls.offers ? '(no module calls it)' : '(it offers no facade)'));
  ties(lines, calls.in, '←', (tie) => `${tie.module}  (through ${tie.key})`);
  for (const call of calls.unresolved) lines.push(`    ? ${at(call)} ${call.expression}  (key not traced to a facadeKey declaration)`);
  lines.push('');

  lines.push('2. Imports');
  lines.push(`  kernel (src/), fine, the service runs the same kernel: ${imports.kernel.length} files${imports.kernel.length ? ` in ${groupByFolder(imports.kernel.map((entry) => entry.file))}` : ''}`);
  lines.push(`  public faces of other modules (fine, contracts ship with the service):${imports.publicFaces.length === 0 ? ' none' : ''}`);
  for (const face of imports.publicFaces) {
    lines.push(`    ${face.file}${face.typeOnly ? ' (types only)' : ''}: ${face.names.join(', ')}`);
  }
  lines.push(`  other modules' internals and other forbidden imports (blockers):${imports.forbidden.length === 0 ? ' none' : ''}`);
  for (const found of imports.forbidden) lines.push(`    ✗ ${at(found)} ${found.specifier} → ${found.target}: ${found.reason}`);
  lines.push(`  packages: ${imports.packages.join(', ') || 'none'}`);
  lines.push('');

  lines.push('3. Events (cross processes through the outbox and Redis/BullMQ already; not blockers)');
  lines.push('  published:');
  if (events.published.length === 0) lines.push(none(''));
  for (const event of events.published) {
    const consumers = event.consumers.map((consumer) => `${consumer.module} (${consumer.handler}${consumer.filtered ? ', filtered' : ''}${consumer.version !== event.version ? `, v${consumer.version}` : ''})`);
    lines.push(`    ${event.type} v${event.version} → ${consumers.join(', ') || 'no consumer'}`);
  }
  lines.push('  consumed:');
  if (events.consumed.length === 0) lines.push(none(''));
  for (const event of events.consumed) {
    const publishers = event.publishers.map((publisher) => `${publisher.module}${publisher.version !== event.version ? ` (v${publisher.version})` : ''}`);
    lines.push(`    ${event.type} v${event.version} ← ${publishers.join(', ') || 'NO PUBLISHER'}  (handler ${event.handler}${event.filtered ? ', filtered' : ''})`);
  }
  lines.push('');

  lines.push(`4. Database (${database.url}, schema ${database.schema}, role ${database.role})`);
  if (database.status !== 'checked') {
    lines.push(`  not checked: ${database.message ?? database.status}`);
  } else {
    if (database.message) lines.push(`  ${database.message}`);
    const sections: [string, string[]][] = [
      ['foreign keys across schemas', database.foreignKeys.map((key) => `${key.name}: ${key.fromSchema}.${key.fromTable} → ${key.toSchema}.${key.toTable}  ${key.definition}`)],
      ['objects depending on another schema', database.dependencies.map((dependency) => `${dependency.dependent}  depends on  ${dependency.referenced}`)],
      ['functions naming another schema', database.functionReferences.map((reference) => `${reference.function} (in ${reference.schema}) names ${reference.mentions}`)],
      ['privileges across schemas', database.privileges.map(describePrivilege)],
      ['role memberships', database.memberships.map((membership) => `${membership.member} is a member of ${membership.role}${membership.blocking ? '' : ' (not another module)'}`)],
      ['ownership', database.ownership.map((owned) => `${owned.objectType} ${owned.object} owned by ${owned.owner}${owned.blocking ? '' : ' (not another module)'}`)],
      ['extensions needed', database.extensions.map((extension) => `${extension.extension} (used by ${extension.usedBy.join(', ')})`)],
    ];
    for (const [title, entries] of sections) {
      lines.push(`  ${title}:${entries.length === 0 ? ' none' : ''}`);
      for (const entry of entries) lines.push(`    ${entry}`);
    }
  }
  lines.push('');

  lines.push('5. Configuration read by the module\'s code');
  if (config.reads.length === 0) lines.push(none('(it reads no configuration key itself)'));
  const kindLabel = { 'shared-secret': 'SHARED SECRET', 'shared-setting': 'shared setting', 'module-secret': 'own secret', 'module-setting': 'own setting' } as const;
  const width = Math.max(0, ...config.reads.map((read) => read.key.length));
  for (const read of config.reads) lines.push(`    ${read.key.padEnd(width)}  ${kindLabel[read.kind].padEnd(14)}  ${read.sites.map(at).join(', ')}`);
  if (config.everyProcessNeeds.length > 0) {
    lines.push(`  every process needs the same ${config.everyProcessNeeds.map((need) => need.key).join(', ')} (read by the kernel)`);
  }
  lines.push('');

  lines.push(`6. Verdict: ${VERDICT_LABEL[verdict.status]}`);
  lines.push(`  ${verdict.headline}`);
  lines.push(`  blockers:${verdict.blockers.length === 0 ? ' none' : ''}`);
  verdict.blockers.forEach((blocker, index) => {
    lines.push(`    ${index + 1}. [${blocker.kind}] ${blocker.what}`);
    lines.push(`       fix: ${blocker.fix}`);
  });
  lines.push(`  notes:${verdict.notes.length === 0 ? ' none' : ''}`);
  for (const note of verdict.notes) lines.push(`    - ${note.text}`);
  return `${lines.join('\n')}\n`;
}
