/**
 * EVERY `docker` argument list of local mode (INTERNAL): `docker run` from a
 * typed {@link ContainerRunOptions}, `docker build`, `network create`, the
 * ownership fix, and the small ones (stop, rm, logs, wait, pull, login,
 * image inspect, version). Pure functions: they build arguments (without
 * the executable) and run nothing; `./process.ts` runs them.
 *
 * The environment of `docker run` goes into an env-file (mode 0600) rather
 * than `-e K=V`, so values never show in `ps`; only values an env-file
 * cannot hold (line breaks) use `-e`.
 */
import * as os from 'os';
import * as path from 'path';

/** Label put on every container and network local mode creates. */
export const LOCAL_LABEL = 'byoa.local';

/**
 * Label with the id of the process that created a container or network
 * (`byoa.pid=<pid>`), put on every one of them: a check for leftovers can
 * look at ITS OWN containers only, whatever else runs on the same engine.
 */
export const PID_LABEL = 'byoa.pid';

/**
 * Label with the host name of the machine (or container) whose process
 * created a container or network (`byoa.host=<hostname>`): a process id
 * means something only there, so `byoa local tidy` reaps only what was
 * created where it runs.
 */
export const HOST_LABEL = 'byoa.host';

/** The labels every container and network of local mode carries. */
export function ownLabels(): { [key: string]: string } {
  return { [LOCAL_LABEL]: 'true', [PID_LABEL]: String(process.pid), [HOST_LABEL]: os.hostname() };
}

/** A bind mount of a host path into the container. */
export interface BindMount {
  /** Absolute host path; must exist. */
  readonly hostPath: string;
  /** Absolute path in the container. */
  readonly containerPath: string;
  /** @default false */
  readonly readOnly?: boolean;
}

/** `-p HOST_IP:HOST_PORT:CONTAINER_PORT`. */
export interface PortMapping {
  /** @default '127.0.0.1' (never all interfaces) */
  readonly hostIp?: string;
  /** 0: the engine picks a free one (`-p 127.0.0.1::8080`; read it back with {@link publishedPortArgs}). */
  readonly hostPort: number;
  readonly containerPort: number;
}

/** `--add-host NAME:IP`. */
export interface HostEntry {
  readonly name: string;
  readonly ip: string;
}

/** Everything local mode ever passes to `docker run`. */
export interface ContainerRunOptions {
  readonly image: string;
  /** `--name`. @default - docker picks one (avoid: cleanup needs names) */
  readonly name?: string;
  /** `--label K=V`; {@link LOCAL_LABEL}=true and {@link PID_LABEL}=<this process> are always added (and win). */
  readonly labels?: { [key: string]: string };
  /** `--entrypoint`. @default - the image's entrypoint */
  readonly entrypoint?: string;
  /** Arguments after the image (for example `['train']`). */
  readonly args?: string[];
  /**
   * The container's environment, in the given order. With `envFileDir` it
   * goes into an env-file (`--env-file`), except values an env-file cannot
   * hold (see {@link envFileEntries}), which use `-e K=V`; without it, every
   * entry is `-e K=V`.
   */
  readonly env?: { [key: string]: string };
  /**
   * Folder of the env-file `<name>.env` that holds `env`: see
   * {@link envFilePath}. {@link runContainer} and
   * {@link startDetachedContainer} write it (mode 0600) and delete it.
   * @default - those two use a private temp folder; {@link buildRunArgs} alone uses `-e K=V`
   */
  readonly envFileDir?: string;
  readonly mounts?: BindMount[];
  /** `--network`: 'host', 'none', 'bridge' or a user-defined network. @default - engine default */
  readonly network?: string;
  /** `--network-alias` (user-defined networks only). */
  readonly networkAliases?: string[];
  readonly hostname?: string;
  readonly addHosts?: HostEntry[];
  /** `--user`. @default - the image's user */
  readonly user?: string;
  /** `-d`. @default false */
  readonly detach?: boolean;
  /** `--rm`. @default false */
  readonly autoRemove?: boolean;
  readonly publish?: PortMapping[];
  /** `--stop-timeout` in seconds. */
  readonly stopTimeoutSeconds?: number;
  /** `--platform`. */
  readonly platform?: string;
}

/** The `docker run ...` argument list (without the executable) for `options`. */
export function buildRunArgs(options: ContainerRunOptions): string[] {
  const args = ['run'];
  if (options.detach) { args.push('-d'); }
  if (options.autoRemove) { args.push('--rm'); }
  if (options.name) { args.push('--name', options.name); }
  // Own labels first (stable order), and they win over the caller's.
  const labels = { ...ownLabels(), ...options.labels, ...ownLabels() };
  for (const [k, v] of Object.entries(labels)) { args.push('--label', `${k}=${v}`); }
  if (options.platform) { args.push('--platform', options.platform); }
  if (options.network) { args.push('--network', options.network); }
  for (const alias of options.networkAliases ?? []) { args.push('--network-alias', alias); }
  if (options.hostname) { args.push('--hostname', options.hostname); }
  for (const h of options.addHosts ?? []) { args.push('--add-host', `${h.name}:${h.ip}`); }
  if (options.user) { args.push('--user', options.user); }
  if (options.stopTimeoutSeconds !== undefined) { args.push('--stop-timeout', String(Math.ceil(options.stopTimeoutSeconds))); }
  for (const p of options.publish ?? []) {
    args.push('-p', `${p.hostIp ?? '127.0.0.1'}:${p.hostPort || ''}:${p.containerPort}`);
  }
  for (const m of options.mounts ?? []) {
    const fields = ['type=bind', `source=${m.hostPath}`, `target=${m.containerPath}`];
    if (m.readOnly) { fields.push('readonly'); }
    args.push('--mount', fields.map(csvField).join(','));
  }
  const env = envFileEntries(options.env);
  const envFile = envFilePath(options);
  if (envFile) {
    args.push('--env-file', envFile);
  }
  for (const [k, v] of envFile ? env.inline : [...env.file, ...env.inline]) { args.push('-e', `${k}=${v}`); }
  if (options.entrypoint !== undefined) { args.push('--entrypoint', options.entrypoint); }
  args.push(options.image, ...(options.args ?? []));
  return args;
}

/**
 * Splits an environment into what an env-file can hold and what must be
 * passed with `-e`. Docker reads an env-file line by line: a value with a
 * line break (`\n`, or a `\r`, which ends a line too) cannot be written there,
 * and neither can a name that is empty, holds white space or `=`, or starts
 * with `#` (a comment).
 */
export function envFileEntries(env: { [key: string]: string } | undefined): { file: [string, string][]; inline: [string, string][] } {
  const file: [string, string][] = [];
  const inline: [string, string][] = [];
  for (const [k, v] of Object.entries(env ?? {})) {
    const fits = /^[^\s=#][^\s=]*$/.test(k) && !/[\r\n]/.test(v);
    (fits ? file : inline).push([k, v]);
  }
  return { file, inline };
}

/**
 * The env-file {@link buildRunArgs} refers to for `options`:
 * `<envFileDir>/<name>.env`, or undefined when there is no `envFileDir` or
 * nothing to put in the file.
 */
export function envFilePath(options: ContainerRunOptions): string | undefined {
  if (!options.envFileDir || envFileEntries(options.env).file.length === 0) { return undefined; }
  return path.join(options.envFileDir, `${options.name ?? 'container'}.env`);
}

/** `--mount` values are CSV: quote a field holding a comma or quote. */
function csvField(field: string): string {
  return /[",\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}

/**
 * The `docker run` arguments of the throw-away container that gives `dirs`
 * back to `uid:gid`: `image` (already present, so nothing is pulled) run as
 * root without network, `chown -R uid:gid` on each folder mounted under
 * `/byoa-chown/<i>`.
 */
export function ownershipRunArgs(dirs: string[], image: string, uid: number, gid: number): string[] {
  const mounts = dirs.map((d, i) => ({ hostPath: d, containerPath: `/byoa-chown/${i}` }));
  return buildRunArgs({
    image,
    autoRemove: true,
    network: 'none',
    user: '0:0',
    entrypoint: 'chown',
    mounts,
    args: ['-R', `${uid}:${gid}`, ...mounts.map((m) => m.containerPath)],
  });
}

/** `docker version` asking for the server's version only. */
export function engineVersionArgs(): string[] {
  return ['version', '--format', '{{.Server.Version}}'];
}

/**
 * `docker network inspect bridge`: the DEFAULT bridge network only (by its
 * reserved name), printing `<driver>|<subnet> <subnet>...`; fails when the
 * engine has none (`--bridge=none`).
 */
export function defaultBridgeInspectArgs(): string[] {
  return ['network', 'inspect', 'bridge', '--format', '{{.Driver}}|{{range .IPAM.Config}}{{.Subnet}} {{end}}'];
}

/** `docker network create` of a network with this process's labels. */
export function networkCreateArgs(name: string): string[] {
  return ['network', 'create', ...Object.entries(ownLabels()).flatMap(([k, v]) => ['--label', `${k}=${v}`]), name];
}

/** The owner labels of a listing: `<name>\t<pid>\t<host>` per line (see {@link parseOwnedListing}). */
const OWNER_FORMAT = `\t{{.Label "${PID_LABEL}"}}\t{{.Label "${HOST_LABEL}"}}`;

/** `docker ps -a` of every container local mode created (any process), with its owner labels. */
export function listLocalContainersArgs(): string[] {
  return ['ps', '-a', '--filter', `label=${LOCAL_LABEL}=true`, '--format', `{{.Names}}${OWNER_FORMAT}`];
}

/** `docker network ls` of every network local mode created (any process), with its owner labels. */
export function listLocalNetworksArgs(): string[] {
  return ['network', 'ls', '--filter', `label=${LOCAL_LABEL}=true`, '--format', `{{.Name}}${OWNER_FORMAT}`];
}

/** What {@link listLocalContainersArgs} and {@link listLocalNetworksArgs} print: name, owning pid (NaN when unlabelled) and host ('' when unlabelled). */
export function parseOwnedListing(stdout: string): { name: string; pid: number; host: string }[] {
  return stdout.split('\n').filter((l) => l.trim()).map((line) => {
    const [name, pid, host] = line.split('\t');
    return { name: name.trim(), pid: /^\d+$/.test(pid ?? '') ? Number(pid) : NaN, host: (host ?? '').trim() };
  });
}

/** `docker network rm` of several networks. */
export function networkRemoveArgs(names: string[]): string[] {
  return ['network', 'rm', ...names];
}

/** `docker rm -f` of several containers. */
export function removeContainersArgs(names: string[]): string[] {
  return ['rm', '-f', ...names];
}

/** `docker stop -t` of several containers (SIGTERM, SIGKILL after `stopGraceSeconds`). */
export function stopContainersArgs(names: string[], stopGraceSeconds: number): string[] {
  return ['stop', '-t', String(Math.max(0, Math.ceil(stopGraceSeconds))), ...names];
}

/** `docker logs --follow` of a container. */
export function followLogsArgs(name: string): string[] {
  return ['logs', '--follow', name];
}

/** `docker wait` for a container's exit code. */
export function waitArgs(name: string): string[] {
  return ['wait', name];
}

/** `docker inspect` printing `<main pid> <running>` of a container. */
export function containerStateArgs(name: string): string[] {
  return ['inspect', '--format', '{{.State.Pid}} {{.State.Running}}', name];
}

/** `docker port` of one container port (`127.0.0.1:49153` per line). */
export function publishedPortArgs(name: string, containerPort: number): string[] {
  return ['port', name, `${containerPort}/tcp`];
}

/** What `docker build` of an image asset needs. */
export interface ImageBuildOptions {
  readonly tag: string;
  /** The build context folder. */
  readonly context: string;
  /** @default 'Dockerfile' */
  readonly file?: string;
  /** @default 'linux/amd64' */
  readonly platform?: string;
  readonly target?: string;
  readonly buildArgs?: { [key: string]: string };
  /** `--network host` (engines without a bridge network). */
  readonly hostNetwork: boolean;
}

/** `docker build` of an image asset (build arguments sorted by name). */
export function buildArgs(options: ImageBuildOptions): string[] {
  const args = ['build', '--tag', options.tag, '--file', path.join(options.context, options.file ?? 'Dockerfile'),
    '--platform', options.platform ?? 'linux/amd64', '--label', `${LOCAL_LABEL}=true`];
  if (options.target) { args.push('--target', options.target); }
  for (const [k, v] of sortedEntries(options.buildArgs)) { args.push('--build-arg', `${k}=${v}`); }
  if (options.hostNetwork) { args.push('--network', 'host'); }
  args.push(options.context);
  return args;
}

/** `docker pull`. */
export function pullArgs(ref: string): string[] {
  return ['pull', ref];
}

/** `docker login` reading the password from stdin. */
export function loginArgs(username: string, endpoint: string): string[] {
  return ['login', '--username', username, '--password-stdin', endpoint];
}

/** `docker image inspect` printing only the id. */
export function imageInspectArgs(ref: string): string[] {
  return ['image', 'inspect', '--format', '{{.Id}}', ref];
}

/** Entries of `map` sorted by key (stable argument lists and hashes). */
export function sortedEntries(map?: { [k: string]: string }): [string, string][] {
  return Object.entries(map ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
