// A private, throwaway PostgreSQL server for interop tests (the C++ tests have their own in
// src/store/testing/postgres_cluster.h): initdb into a fresh temp directory, `postgres` listening
// only on a Unix socket there, password authentication for one superuser, removed by stop().
//
//   const pg = await startPostgres();          // null: BEDROCK_TEST_POSTGRES=off and no server
//   const url = await pg.createDatabase('replicas');
//   ...
//   await pg.stop();
//
// Server binaries: $BEDROCK_POSTGRES_BINDIR, `pg_config --bindir`, or the newest
// /usr/lib/postgresql/*/bin. None found throws (tests fail) unless BEDROCK_TEST_POSTGRES=off.
// initdb and postgres refuse to run as root: as root they run as the `postgres` user (or nobody).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const USER = 'bedrock';
export const PASSWORD = 'r3pl:ca@p/w d%';

const isServerBindir = (dir) => !!dir && fs.existsSync(path.join(dir, 'postgres')) &&
    fs.existsSync(path.join(dir, 'initdb'));

function findBindir() {
  if (process.env.BEDROCK_POSTGRES_BINDIR !== undefined) {
    return isServerBindir(process.env.BEDROCK_POSTGRES_BINDIR) ? process.env.BEDROCK_POSTGRES_BINDIR : null;
  }
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
    if (isServerBindir(dir)) return dir;
  } catch { /* no pg_config */ }
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root) : [];
  versions.sort((a, b) => parseFloat(b) - parseFloat(a));
  for (const version of versions) {
    const dir = path.join(root, version, 'bin');
    if (isServerBindir(dir)) return dir;
  }
  return null;
}

// {uid, gid} to run the server as when we are root, else {} (ourselves).
function serverUser() {
  if (process.getuid() !== 0) return {};
  const passwd = fs.readFileSync('/etc/passwd', 'utf8').split('\n').map((line) => line.split(':'));
  const entry = passwd.find((f) => f[0] === 'postgres') ?? passwd.find((f) => f[0] === 'nobody');
  if (!entry) throw new Error('running as root, but there is no postgres (or nobody) user');
  return { uid: Number(entry[2]), gid: Number(entry[3]) };
}

export async function startPostgres() {
  const bindir = findBindir();
  if (!bindir) {
    if (process.env.BEDROCK_TEST_POSTGRES === 'off') return null;
    throw new Error('no PostgreSQL server binaries (initdb, postgres): install the `postgresql` ' +
                    'package (scripts/install-deps does), set BEDROCK_POSTGRES_BINDIR, or set ' +
                    'BEDROCK_TEST_POSTGRES=off to skip the PostgreSQL tests');
  }
  const as = serverUser();
  // Memory when it has room (a cluster on a busy disk is slow); short, for the socket path.
  const base = fs.existsSync('/dev/shm') && fs.statfsSync('/dev/shm').bavail *
      fs.statfsSync('/dev/shm').bsize > 512 * 2 ** 20 ? '/dev/shm' : os.tmpdir();
  const dir = fs.mkdtempSync(path.join(base, 'bedrock-pg-'));
  if (as.uid !== undefined) fs.chownSync(dir, as.uid, as.gid);
  const pwfile = path.join(dir, 'password');
  fs.writeFileSync(pwfile, `${PASSWORD}\n`, { mode: 0o600 });
  if (as.uid !== undefined) fs.chownSync(pwfile, as.uid, as.gid);
  const data = path.join(dir, 'data');
  const initdb = spawnSync(path.join(bindir, 'initdb'),
                           ['-D', data, '-U', USER, '--auth=scram-sha-256', `--pwfile=${pwfile}`,
                            '-E', 'UTF8', '--no-locale', '--no-sync', '--wal-segsize=1'],
                           { ...as, encoding: 'utf8' });
  fs.rmSync(pwfile);
  if (initdb.status !== 0) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${initdb.stderr}`);
  }
  const port = 5432;  // only names the socket file: nothing listens on TCP
  const serverArgs = [path.join(bindir, 'postgres'), '-D', data, '-k', dir, '-p', String(port),
                      '-c', 'listen_addresses=', '-c', 'fsync=off', '-c', 'synchronous_commit=off'];
  // setpriv (util-linux) ties the server's life to ours (SIGQUIT, an immediate shutdown, should
  // this process die without stopping it) and drops root; without it, spawn's uid/gid drop root.
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => fs.existsSync(p));
  const server = setpriv
    ? spawn(setpriv, [...(as.uid !== undefined
                           ? [`--reuid=${as.uid}`, `--regid=${as.gid}`, '--clear-groups'] : []),
                      '--pdeathsig=SIGQUIT', ...serverArgs],
            { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(serverArgs[0], serverArgs.slice(1), { ...as, stdio: ['ignore', 'ignore', 'pipe'] });
  const killOnExit = () => server.kill('SIGQUIT');
  process.once('exit', killOnExit);
  let log = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`postgres not ready after 60 s:\n${log}`)), 60000);
    server.stderr.on('data', (chunk) => {
      log += chunk;
      if (/ready to accept connections/.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    });
    server.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`postgres exited (${code}) before ready:\n${log}`));
    });
  });
  const env = { ...process.env, PGPASSWORD: PASSWORD };
  const url = (database) => `postgresql://${USER}:${encodeURIComponent(PASSWORD)}@/${database}` +
      `?host=${dir}&port=${port}`;
  return {
    dir, url,
    get log() { return log; },
    async createDatabase(name) {
      const created = spawnSync(path.join(bindir, 'createdb'),
                                ['-h', dir, '-p', String(port), '-U', USER, name],
                                { env, encoding: 'utf8' });
      if (created.status !== 0) throw new Error(`createdb ${name}: ${created.stderr}`);
      return url(name);
    },
    // Fast shutdown, then the directory goes.
    async stop() {
      if (server.exitCode === null && server.signalCode === null) {
        const exited = new Promise((resolve) => server.once('exit', resolve));
        server.kill('SIGINT');
        await exited;
      }
      process.removeListener('exit', killOnExit);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
