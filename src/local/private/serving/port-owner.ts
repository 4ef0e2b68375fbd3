/**
 * Who listens on a loopback port (INTERNAL, Linux): so that a health check
 * on a host-network serving container knows that the `/ping` answer came
 * from THAT container, not from whatever else listens on the port.
 *
 * The listening socket of `127.0.0.1:PORT` (or `0.0.0.0:PORT`, `[::]:PORT`)
 * is found in `/proc/net/tcp{,6}` by its inode; the processes of the
 * container are the ones in the PID namespace of its main process (host
 * networking shares the network namespace, not the PID namespace). The
 * socket belongs to the container when one of those processes holds it.
 * Where `/proc` cannot tell (not Linux, no permission), the answer is
 * `unknown` and the caller falls back to the container's running state.
 */
import * as fs from 'fs';

/** The answer of {@link listenerBelongsTo}. */
export type PortOwnership =
  | { readonly kind: 'own' }
  | { readonly kind: 'other'; readonly pid?: number; readonly command?: string }
  | { readonly kind: 'unknown'; readonly reason: string };

/** TCP state LISTEN in /proc/net/tcp. */
const TCP_LISTEN = '0A';

/** Inodes of the sockets listening on `port` (any local address). */
export function listeningInodes(port: number, procRoot = '/proc'): Set<string> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['net/tcp', 'net/tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(`${procRoot}/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      const local = fields[1];
      if (local.slice(local.lastIndexOf(':') + 1) === hexPort && fields[3] === TCP_LISTEN) inodes.add(fields[9]);
    }
  }
  return inodes;
}

/**
 * Whether the socket listening on `port` is held by a process in the PID
 * namespace of `containerPid` (the container's main process, as `docker
 * inspect` reports it).
 */
export function listenerBelongsTo(port: number, containerPid: number, procRoot = '/proc'): PortOwnership {
  if (process.platform !== 'linux') return { kind: 'unknown', reason: 'not Linux' };
  const inodes = listeningInodes(port, procRoot);
  if (inodes.size === 0) return { kind: 'unknown', reason: `no listening socket on port ${port} in ${procRoot}/net/tcp` };
  let namespace: string;
  try {
    namespace = fs.readlinkSync(`${procRoot}/${containerPid}/ns/pid`);
  } catch (e) {
    return { kind: 'unknown', reason: `cannot read the container's PID namespace (${(e as Error).message})` };
  }
  let unreadable = 0;
  for (const entry of fs.readdirSync(procRoot)) {
    if (!/^\d+$/.test(entry)) continue;
    const fds = socketInodesOf(`${procRoot}/${entry}`);
    if (fds === undefined) {
      unreadable++;
      continue;
    }
    if (![...fds].some((inode) => inodes.has(inode))) continue;
    let ns: string | undefined;
    try { ns = fs.readlinkSync(`${procRoot}/${entry}/ns/pid`); } catch { ns = undefined; }
    if (ns === namespace) return { kind: 'own' };
    return { kind: 'other', pid: Number(entry), command: commandOf(`${procRoot}/${entry}`) };
  }
  return { kind: 'unknown', reason: unreadable ? `the socket's process is not visible (${unreadable} processes unreadable)` : 'no process holds the socket' };
}

/** The socket inodes among a process's open files; undefined when they cannot be read. */
function socketInodesOf(procDir: string): Set<string> | undefined {
  let fds: string[];
  try {
    fds = fs.readdirSync(`${procDir}/fd`);
  } catch {
    return undefined;
  }
  const inodes = new Set<string>();
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`${procDir}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch { /* closed meanwhile */ }
  }
  return inodes;
}

function commandOf(procDir: string): string | undefined {
  try {
    return fs.readFileSync(`${procDir}/cmdline`, 'utf8').split('\0').filter((a) => a).join(' ') || undefined;
  } catch {
    return undefined;
  }
}
