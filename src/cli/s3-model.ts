/**
 * `byoa local transform|serve --model s3://...` (INTERNAL to the CLI): a
 * model trained in the cloud, downloaded into the work dir
 * (`WORKDIR/models/<bucket>/<key>`) with a progress line for large ones. A
 * copy that is already there with the object's size and ETag is used again.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Readable, Transform } from 'stream';
import { pipeline } from 'stream/promises';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { describeAwsError } from '../cloud/errors';
import { LocalModeError } from '../local/errors';

/** Where the download reports. */
export interface DownloadOutput {
  out(line: string): void;
  /** Redraws the progress line in place (a terminal). @default - one line per 10 % */
  write?(text: string): void;
}

export interface DownloadOptions {
  readonly s3: S3Client;
  readonly workDir: string;
  readonly output: DownloadOutput;
  /** Objects at least this large get a progress line. @default 8 MiB */
  readonly progressThresholdBytes?: number;
}

const S3_URI = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/;

/** Whether `--model` names an S3 object. */
export function isS3Uri(value: string): boolean {
  return value.startsWith('s3://');
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function size(bytes: number): string {
  return bytes >= 1024 * 1024 ? mib(bytes) : bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${bytes} bytes`;
}

/** Downloads the model archive `uri`; resolves with its local path. */
export async function downloadModel(uri: string, options: DownloadOptions): Promise<string> {
  const m = S3_URI.exec(uri);
  if (!m || m[2].endsWith('/')) {
    throw new LocalModeError(`--model ${uri}: expected the S3 URI of a model archive object, s3://BUCKET/KEY (for example `
      + 's3://my-bucket/training/my-job/output/model.tar.gz), not a bucket or a prefix.');
  }
  const [, bucket, key] = m;
  const dest = path.resolve(options.workDir, 'models', bucket, ...key.split('/').filter(k => k !== '..' && k !== '.' && k !== ''));
  const what = `S3 GetObject ${uri}`;
  let head;
  try {
    head = await options.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  } catch (e) {
    const code = (e as Error).name;
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (code === 'NotFound' || code === 'NoSuchKey' || status === 404) {
      throw new LocalModeError(`--model ${uri}: no such object in bucket ${bucket} (or the bucket does not exist). `
        + 'Give the ModelArtifacts.S3ModelArtifacts of a completed training job (byoa cloud status shows the jobs).');
    }
    throw new LocalModeError(`--model ${uri}: ${describeAwsError(e, what)}`);
  }
  const bytes = head.ContentLength ?? 0;
  const etag = head.ETag ?? '';
  const stamp = `${dest}.etag`;
  if (fs.existsSync(dest) && fs.statSync(dest).size === bytes && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === etag) {
    options.output.out(`Using the downloaded copy of ${uri}: ${dest}`);
    return dest;
  }
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const partial = `${dest}.download`;
  const showProgress = bytes >= (options.progressThresholdBytes ?? 8 * 1024 * 1024);
  options.output.out(`Downloading ${uri} (${size(bytes)}) to ${dest}`);
  try {
    const res = await options.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    let done = 0;
    let shownTenth = 0;
    const progress = new Transform({
      transform(chunk: Buffer, _enc, callback) {
        done += chunk.length;
        const tenth = bytes > 0 ? Math.floor((done / bytes) * 10) : 10;
        if (showProgress && tenth > shownTenth) {
          shownTenth = tenth;
          const line = `  ${String(tenth * 10).padStart(3)}% ${mib(done)} of ${mib(bytes)}`;
          if (options.output.write) options.output.write(`\r${line}${tenth >= 10 ? '\n' : ''}`); else options.output.out(line);
        }
        callback(undefined, chunk);
      },
    });
    await pipeline(res.Body as Readable, progress, fs.createWriteStream(partial));
    if (done !== bytes) throw new Error(`received ${done} of ${bytes} bytes`);
  } catch (e) {
    fs.rmSync(partial, { force: true });
    throw new LocalModeError(`--model ${uri}: the download failed: ${e instanceof LocalModeError ? e.message : describeAwsError(e, what)}`);
  }
  fs.renameSync(partial, dest);
  fs.writeFileSync(stamp, etag);
  return dest;
}
