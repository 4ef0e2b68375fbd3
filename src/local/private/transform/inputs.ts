import * as fs from 'fs';
import * as path from 'path';
import type { TransformInput } from '@aws-sdk/client-sagemaker';
import { LocalModeError } from '../../errors';
import { fileUriPath } from '../work-dir';

/** One input file of a transform job. */
export interface TransformInputFile {
  /** Absolute path on the host. */
  readonly path: string;
  /** Path relative to the input location, with `/` separators (the output is `<relative>.out`). */
  readonly relativePath: string;
  /** Size on disk in bytes. */
  readonly size: number;
}

/**
 * Resolves `TransformInput.DataSource.S3DataSource.S3Uri` to the files to
 * transform: a `file://` URI (relative to the cloud assembly directory, or
 * absolute) naming a file, or a folder walked recursively in sorted order.
 * `s3://` and `unresolved://` locations, and data types other than
 * `S3Prefix`, fail with a message that says what to do.
 */
export function resolveTransformInputs(input: TransformInput | undefined, assemblyDir: string): TransformInputFile[] {
  const s3 = input?.DataSource?.S3DataSource;
  if (!s3?.S3Uri) {
    throw new LocalModeError('The transform job has no TransformInput.DataSource.S3DataSource.S3Uri: local mode needs a file:// location to read.');
  }
  const uri = s3.S3Uri;
  if (s3.S3DataType && s3.S3DataType !== 'S3Prefix') {
    throw new LocalModeError(`TransformInput S3DataType '${s3.S3DataType}' is not supported by local mode: only S3Prefix (a file or a folder) is.`);
  }
  if (uri.startsWith('unresolved://')) {
    throw new LocalModeError(`The transform input ${uri} is a location only known after deployment (a bucket created by the stack). `
      + 'Local mode cannot read it: use a local asset as the transform input for local runs.');
  }
  if (uri.startsWith('s3://')) {
    throw new LocalModeError(`The transform input ${uri} is in S3; local batch transform reads only local inputs (file:// URIs, such as assets). `
      + 'Download the data and use a local asset as the transform input for local runs.');
  }
  if (!uri.startsWith('file://')) {
    throw new LocalModeError(`The transform input '${uri}' is not a file://, s3:// or unresolved:// URI.`);
  }
  const location = fileUriPath(uri, assemblyDir);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(location);
  } catch {
    throw new LocalModeError(`The transform input ${uri} points at ${location}, which does not exist (run 'cdk synth' again to stage the asset).`);
  }
  if (stat.isFile()) {
    return [{ path: location, relativePath: path.basename(location), size: stat.size }];
  }
  const files: TransformInputFile[] = [];
  walk(location, '', files);
  // The order S3 lists keys in: by the whole relative path, code unit by code unit.
  files.sort((a, b) => (a.relativePath < b.relativePath ? -1 : a.relativePath > b.relativePath ? 1 : 0));
  if (files.length === 0) {
    throw new LocalModeError(`The transform input ${uri} is the folder ${location}, which holds no files.`);
  }
  return files;
}

function walk(dir: string, prefix: string, into: TransformInputFile[]): void {
  const names = fs.readdirSync(dir);
  for (const name of names) {
    const abs = path.join(dir, name);
    const rel = prefix ? `${prefix}/${name}` : name;
    const stat = fs.statSync(abs);
    if (stat.isDirectory()) walk(abs, rel, into);
    else if (stat.isFile()) into.push({ path: abs, relativePath: rel, size: stat.size });
  }
}
