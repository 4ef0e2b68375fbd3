/**
 * Resolving the channels of a training job to host paths (INTERNAL).
 * `file://` (relative to the cloud assembly, or absolute) is read locally;
 * `s3://` is downloaded with the default credential chain; `unresolved://`
 * and modes local mode cannot reproduce fail up front.
 *
 * As on SageMaker, the input mode decides whether the algorithm may write
 * into `/opt/ml/input/data/<channel>`:
 * - File: SageMaker downloads the data onto the instance's volume, which
 *   the algorithm may change. Local mode copies the channel into the job's
 *   scratch folder (one copy per host) and mounts it read-write, so the
 *   user's own files are never modified.
 * - FastFile: the channel is a read-only file system on SageMaker. Local mode
 *   mounts the data (the user's files, or the download) read-only, without a
 *   copy.
 */
import * as fs from 'fs';
import * as path from 'path';
import { pipeline } from 'stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Channel, CreateTrainingJobRequest } from '@aws-sdk/client-sagemaker';
import { channelInputMode } from './config';
import { s3Sdk } from '../../../private/lazy-sdk';
import { LocalModeError } from '../../errors';
import { BindMount } from '../docker';
import { fileUriPath } from '../work-dir';

/** A channel ready to mount. */
export interface ResolvedChannel {
  readonly name: string;
  /** `File` or `FastFile`. */
  readonly mode: 'File' | 'FastFile';
  /** What host `hostIndex` (0-based) mounts for this channel. */
  mounts(hostIndex: number): BindMount[];
}

export interface ResolveInputsOptions {
  readonly assemblyDir: string;
  /**
   * A folder of the job's scratch space: s3:// channels are downloaded and
   * File-mode channels copied under it.
   */
  readonly downloadDir: string;
  /** Names of the hosts (`algo-1` ...): File-mode channels get one copy per host. @default ['algo-1'] */
  readonly hosts?: string[];
  readonly region: string;
  /** S3 client factory (tests). @default - new S3Client({ region, followRegionRedirects: true }) */
  readonly s3ClientFactory?: (region: string) => S3Client;
}

/** Validate every channel first, then check credentials, then download. */
export async function resolveChannels(request: CreateTrainingJobRequest, options: ResolveInputsOptions): Promise<ResolvedChannel[]> {
  const channels = request.InputDataConfig ?? [];
  const plans = channels.map((ch) => planChannel(request, ch, options.assemblyDir));
  const s3Plans = plans.filter((p) => p.kind === 's3');
  let client: S3Client | undefined;
  if (s3Plans.length > 0) {
    client = options.s3ClientFactory
      ? options.s3ClientFactory(options.region)
      : new (s3Sdk().S3Client)({ region: options.region, followRegionRedirects: true });
    try {
      const creds = await client.config.credentials();
      if (!creds?.accessKeyId) { throw new Error('no access key'); }
    } catch (e) {
      throw new LocalModeError(`Channel(s) ${s3Plans.map((p) => `'${p.name}' (${p.uri})`).join(', ')} read from S3, but no AWS credentials were found `
        + `(${(e as Error).message}). Configure credentials (environment variables, a profile, SSO) or use local inputs.`);
    }
  }
  const hosts = options.hosts ?? ['algo-1'];
  const resolved: ResolvedChannel[] = [];
  for (const p of plans) {
    const target = `/opt/ml/input/data/${p.name}`;
    // The channel's data on this machine: the user's file or folder, or the download.
    let source: string;
    if (p.kind === 'file') {
      source = p.path;
    } else {
      source = path.join(options.downloadDir, 's3', p.name);
      await downloadPrefix(client!, p.uri, source, p.name);
    }
    const isDir = fs.statSync(source).isDirectory();
    if (p.mode === 'FastFile') {
      resolved.push({ name: p.name, mode: p.mode, mounts: readOnlyMounts(source, isDir, target, path.join(options.downloadDir, 'fastfile', p.name)) });
      continue;
    }
    // File mode: a private, writable copy per host (a download is already private: host 1 uses it).
    const copies: string[] = [];
    for (const [i, host] of hosts.entries()) {
      if (p.kind === 's3' && i === 0) {
        copies.push(source);
        continue;
      }
      const copy = path.join(options.downloadDir, host, p.name);
      await copyChannel(source, isDir, copy, p.name);
      copies.push(copy);
    }
    resolved.push({ name: p.name, mode: p.mode, mounts: (i) => [{ hostPath: copies[i], containerPath: target }] });
  }
  return resolved;
}

/**
 * FastFile: `source` mounted read-only as the channel folder. A single file
 * is mounted read-only inside an empty, read-only folder (holding an empty
 * placeholder as its mount point), so the channel folder is read-only too.
 */
function readOnlyMounts(source: string, isDir: boolean, target: string, placeholderDir: string): (hostIndex: number) => BindMount[] {
  if (isDir) {
    return () => [{ hostPath: source, containerPath: target, readOnly: true }];
  }
  const base = path.basename(source);
  fs.mkdirSync(placeholderDir, { recursive: true });
  fs.writeFileSync(path.join(placeholderDir, base), '');
  return () => [
    { hostPath: placeholderDir, containerPath: target, readOnly: true },
    { hostPath: source, containerPath: `${target}/${base}`, readOnly: true },
  ];
}

/** Copy the channel data (a folder's contents, or one file) into the new folder `dest`. Links are followed. */
async function copyChannel(source: string, isDir: boolean, dest: string, channel: string): Promise<void> {
  try {
    await fs.promises.mkdir(dest, { recursive: true });
    const to = isDir ? dest : path.join(dest, path.basename(source));
    await fs.promises.cp(source, to, { recursive: true, dereference: true, force: true, errorOnExist: false });
  } catch (e) {
    throw new LocalModeError(`Could not copy channel '${channel}' from ${source} to ${dest} (File mode gives the algorithm a writable copy, `
      + `as SageMaker does): ${(e as Error).message}`);
  }
}

type Mode = 'File' | 'FastFile';
type Plan = { kind: 'file'; name: string; mode: Mode; path: string } | { kind: 's3'; name: string; mode: Mode; uri: string };

function planChannel(request: CreateTrainingJobRequest, ch: Channel, assemblyDir: string): Plan {
  const name = String(ch.ChannelName);
  const mode = channelInputMode(request, ch);
  if (mode === 'Pipe') {
    throw new LocalModeError(`Channel '${name}' uses Pipe input mode, which local mode does not support (it only reproduces File and FastFile). `
      + 'Use File or FastFile for local runs.');
  }
  if (mode !== 'File' && mode !== 'FastFile') {
    throw new LocalModeError(`Channel '${name}' has input mode '${mode}': expected File, FastFile or Pipe.`);
  }
  const s3 = ch.DataSource?.S3DataSource;
  if (!s3) {
    throw new LocalModeError(`Channel '${name}' has no S3DataSource: local mode only reads S3DataSource channels (file://, s3://).`);
  }
  if (s3.S3DataType && s3.S3DataType !== 'S3Prefix') {
    throw new LocalModeError(`Channel '${name}' has S3DataType '${s3.S3DataType}': local mode only supports S3Prefix.`);
  }
  const uri = String(s3.S3Uri ?? '');
  if (uri.startsWith('unresolved://')) {
    throw new LocalModeError(`Channel '${name}' reads from ${uri}, a location only known after deployment (a bucket created by the stack). `
      + 'Local mode cannot read it: use a local asset or an existing bucket for this channel.');
  }
  if (uri.startsWith('file://')) {
    const p = fileUriPath(uri, assemblyDir);
    if (!fs.existsSync(p)) {
      throw new LocalModeError(`Channel '${name}' reads from ${uri}, but ${p} does not exist (run 'cdk synth' again to stage the asset).`);
    }
    if (!holdsAFile(p)) {
      throw noObjectsError(name, uri, `the folder ${p} holds no files`);
    }
    return { kind: 'file', name, mode, path: p };
  }
  if (uri.startsWith('s3://')) {
    return { kind: 's3', name, mode, uri };
  }
  throw new LocalModeError(`Channel '${name}' has S3Uri '${uri}': expected an s3://, file:// or unresolved:// URI.`);
}

/** Download every object under an S3 prefix, keeping key paths relative to the prefix's folder. */
async function downloadPrefix(client: S3Client, uri: string, dir: string, channel: string): Promise<void> {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) { throw new LocalModeError(`Channel '${channel}' has an invalid S3 URI '${uri}'.`); }
  const [, bucket, prefix] = m;
  const base = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/') + 1) : '';
  fs.mkdirSync(dir, { recursive: true });
  let token: string | undefined;
  let count = 0;
  try {
    do {
      const page = await client.send(new (s3Sdk().ListObjectsV2Command)({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const obj of page.Contents ?? []) {
        if (!obj.Key || obj.Key.endsWith('/')) { continue; }
        const rel = obj.Key.slice(base.length);
        const dest = path.resolve(dir, rel);
        if (!dest.startsWith(dir + path.sep)) { continue; } // `..` in a key: never write outside the channel dir
        fs.mkdirSync(path.dirname(dest), { recursive: true });
        const res = await client.send(new (s3Sdk().GetObjectCommand)({ Bucket: bucket, Key: obj.Key }));
        await pipeline(res.Body as NodeJS.ReadableStream, fs.createWriteStream(dest));
        count++;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  } catch (e) {
    throw new LocalModeError(`Could not download channel '${channel}' from ${uri}: ${(e as Error).message}`);
  }
  if (count === 0) {
    throw noObjectsError(channel, uri, `no object exists under prefix '${prefix}' of bucket ${bucket}`);
  }
}

/**
 * SageMaker refuses a job whose channel has no data, before any instance
 * starts; so does local mode, in SageMaker's words.
 */
function noObjectsError(channel: string, uri: string, detail: string): LocalModeError {
  return new LocalModeError(`No S3 objects found under S3 URL "${uri}" given in input data source (channel '${channel}': ${detail}). `
    + 'SageMaker refuses such a job before it starts: put data there, or remove the channel.');
}

/** Whether `p` is a file, or a folder with a file somewhere below it (links followed). */
function holdsAFile(p: string): boolean {
  const stat = fs.statSync(p);
  if (!stat.isDirectory()) return true;
  return fs.readdirSync(p).some((entry) => {
    try {
      return holdsAFile(path.join(p, entry));
    } catch {
      return false; // a dangling link
    }
  });
}
