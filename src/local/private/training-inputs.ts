/**
 * Resolving the channels of a training job to host paths (INTERNAL).
 * `file://` (relative to the cloud assembly, or absolute) is mounted as is;
 * `s3://` is downloaded with the default credential chain; `unresolved://`
 * and modes local mode cannot reproduce fail up front.
 */
import * as fs from 'fs';
import * as path from 'path';
import { pipeline } from 'stream/promises';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { Channel, CreateTrainingJobRequest } from '@aws-sdk/client-sagemaker';
import { channelInputMode } from './training-config';
import { BindMount } from '../docker';
import { LocalModeError } from '../errors';

/** A channel ready to mount. */
export interface ResolvedChannel {
  readonly name: string;
  /** What to mount (one directory, or one file under the channel dir). */
  readonly mount: BindMount;
}

export interface ResolveInputsOptions {
  readonly assemblyDir: string;
  /** Where s3:// channels are downloaded (a folder per channel is created). */
  readonly downloadDir: string;
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
      : new S3Client({ region: options.region, followRegionRedirects: true });
    try {
      const creds = await client.config.credentials();
      if (!creds?.accessKeyId) { throw new Error('no access key'); }
    } catch (e) {
      throw new LocalModeError(`Channel(s) ${s3Plans.map((p) => `'${p.name}' (${p.uri})`).join(', ')} read from S3, but no AWS credentials were found `
        + `(${(e as Error).message}). Configure credentials (environment variables, a profile, SSO) or use local inputs.`);
    }
  }
  const resolved: ResolvedChannel[] = [];
  for (const p of plans) {
    const target = `/opt/ml/input/data/${p.name}`;
    if (p.kind === 'file') {
      const isDir = fs.statSync(p.path).isDirectory();
      resolved.push({
        name: p.name,
        mount: { hostPath: p.path, containerPath: isDir ? target : `${target}/${path.basename(p.path)}`, readOnly: true },
      });
    } else {
      const dir = path.join(options.downloadDir, p.name);
      await downloadPrefix(client!, p.uri, dir, p.name);
      resolved.push({ name: p.name, mount: { hostPath: dir, containerPath: target, readOnly: true } });
    }
  }
  return resolved;
}

type Plan = { kind: 'file'; name: string; path: string } | { kind: 's3'; name: string; uri: string };

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
    const rest = decodeURIComponent(uri.slice('file://'.length));
    const p = path.isAbsolute(rest) ? rest : path.resolve(assemblyDir, rest);
    if (!fs.existsSync(p)) {
      throw new LocalModeError(`Channel '${name}' reads from ${uri}, but ${p} does not exist (run 'cdk synth' again to stage the asset).`);
    }
    return { kind: 'file', name, path: p };
  }
  if (uri.startsWith('s3://')) {
    return { kind: 's3', name, uri };
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
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const obj of page.Contents ?? []) {
        if (!obj.Key || obj.Key.endsWith('/')) { continue; }
        const rel = obj.Key.slice(base.length);
        const dest = path.resolve(dir, rel);
        if (!dest.startsWith(dir + path.sep)) { continue; } // `..` in a key: never write outside the channel dir
        fs.mkdirSync(path.dirname(dest), { recursive: true });
        const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: obj.Key }));
        await pipeline(res.Body as NodeJS.ReadableStream, fs.createWriteStream(dest));
        count++;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  } catch (e) {
    throw new LocalModeError(`Could not download channel '${channel}' from ${uri}: ${(e as Error).message}`);
  }
  if (count === 0) {
    throw new LocalModeError(`Channel '${channel}' reads from ${uri}, but no object exists under that prefix.`);
  }
}
