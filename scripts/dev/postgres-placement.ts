import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, chown, lstat, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { LocalServiceError } from './local-service.js';
import { copyOfBinaries, type PostgresBinaries } from './postgres-binaries.js';

const run = promisify(execFile);

/** The operating-system account the server runs as when `npm run dev` runs as root. */
export interface ServerAccount {
  uid: number;
  gid: number;
}

/** Where an embedded cluster lives, which binaries run it, and as whom. */
export interface ClusterPlacement {
  dataDir: string;
  binaries: PostgresBinaries;
  /** set when running as root: PostgreSQL refuses to run as root, so it runs as the `postgres` user */
  account?: ServerAccount;
  /** the data folder that was asked for, when the cluster had to live elsewhere */
  insteadOf?: string;
}

const ACCOUNT = 'postgres';

export const runsAsRoot = (): boolean => process.getuid?.() === 0;

/**
 * Where the cluster asked for in `dataDir` can run. A normal user runs PostgreSQL as
 * themselves, so the folder works wherever they can write. Root runs it as the `postgres`
 * user, who cannot enter a private folder such as /root (mode 0700): then the data and a
 * copy of the binaries go to a per-project folder under the system temp dir instead.
 * @example const placement = await placeCluster('/root/shop/.data/postgres', await packagedBinaries(), log)
 */
export async function placeCluster(dataDir: string, binaries: PostgresBinaries, log: (message: string) => void): Promise<ClusterPlacement> {
  if (!runsAsRoot()) return { dataDir, binaries };
  const account = await serverAccount(log);
  await mkdir(path.dirname(dataDir), { recursive: true });
  if (await canReach(account, path.dirname(dataDir), binaries.postgres)) return { dataDir, binaries, account };

  const home = relocatedHome(dataDir);
  await rootOwnedFolder(home);
  const copy = await copyOfBinaries(binaries, home);
  if (!(await canReach(account, home, copy.postgres))) {
    throw new LocalServiceError(
      `PostgreSQL cannot run as root and the "${ACCOUNT}" user it runs as can reach neither ${dataDir} nor ${home}; ` +
        `point TMPDIR at a folder it can enter, or run npm run dev as a normal user.`,
    );
  }
  log(`the ${ACCOUNT} user that PostgreSQL runs as cannot reach ${dataDir}, so the embedded cluster lives in ${home}`);
  return { dataDir: path.join(home, 'data'), binaries: copy, account, insteadOf: dataDir };
}

/** One folder per project (per data folder asked for), so two clones never share a cluster. */
export function relocatedHome(dataDir: string): string {
  const project = createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 12);
  return path.join(os.tmpdir(), `commerce-dev-postgres-${project}`);
}

/** Prepares the data folder before initdb: the server's account must own it, and nobody else may enter it. */
export async function prepareDataDir(placement: ClusterPlacement): Promise<void> {
  await mkdir(placement.dataDir, { recursive: true, mode: 0o700 });
  const info = await lstat(placement.dataDir);
  if (!info.isDirectory()) throw new LocalServiceError(`${placement.dataDir} should be the embedded PostgreSQL's data folder but is not a folder; remove it and start again.`);
  if (placement.account) await chown(placement.dataDir, placement.account.uid, placement.account.gid);
  await chmod(placement.dataDir, 0o700);
}

async function serverAccount(log: (message: string) => void): Promise<ServerAccount> {
  const existing = await accountIds();
  if (existing) return existing;
  log(`creating the system user "${ACCOUNT}" to run the embedded PostgreSQL (it refuses to run as root)`);
  const groupExists = await run('getent', ['group', ACCOUNT]).then(() => true, () => false);
  const args = ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', ...(groupExists ? ['--gid', ACCOUNT] : ['--user-group']), ACCOUNT];
  const created = await run('useradd', args).then(() => accountIds(), () => undefined);
  if (!created) {
    throw new LocalServiceError(
      `PostgreSQL refuses to run as root and there is no "${ACCOUNT}" user to run it as, nor could one be created; ` +
        `create it (useradd --system --user-group ${ACCOUNT}) or run npm run dev as a normal user.`,
    );
  }
  return created;
}

async function accountIds(): Promise<ServerAccount | undefined> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', ACCOUNT]), run('id', ['-g', ACCOUNT])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return undefined;
  }
}

/**
 * Asks the system itself, as the server's account: mode bits alone miss ACLs and groups.
 * The child gets exactly the rights the server will have (no supplementary groups).
 */
async function canReach(account: ServerAccount, folder: string, binary: string): Promise<boolean> {
  return run('/bin/sh', ['-c', 'test -x "$1" && test -x "$2"', 'sh', folder, binary], { uid: account.uid, gid: account.gid, cwd: '/' }).then(
    () => true,
    () => false,
  );
}

/**
 * The per-project folder sits in a world-writable temp dir, so it must be a real folder that
 * only root can change: another local user could otherwise plant it (or a link) in advance.
 */
async function rootOwnedFolder(folder: string): Promise<void> {
  await mkdir(folder, { mode: 0o755 }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  const info = await lstat(folder);
  if (!info.isDirectory() || info.uid !== 0 || (info.mode & 0o022) !== 0) {
    throw new LocalServiceError(`${folder} exists but is not a folder that only root may change; remove it and start again.`);
  }
  await chmod(folder, 0o755); // the postgres user must enter it whatever the umask was
}
