import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { uploadStream } from './multipart-upload';
import { repackModelArchive } from './repack';

/** What the state machine sends the repack function. */
export interface RepackEvent {
  /** The trained `model.tar.gz` (`s3://bucket/key`). */
  readonly modelDataUrl: string;
  /** The inference code's `sourcedir.tar.gz` (`s3://bucket/key`). */
  readonly codeUri: string;
  /** Bucket of the repacked model. */
  readonly outputBucket: string;
  /** Key of the repacked model. */
  readonly outputKey: string;
}

/** What it answers: the new model artifact. */
export interface RepackResult {
  readonly modelDataUrl: string;
  readonly bytes: number;
}

/** Largest source archive held in memory (the model itself streams). */
const MAX_CODE_BYTES = 512 * 1024 * 1024;

function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match) throw new Error(`not an s3://bucket/key URI: ${JSON.stringify(uri)}`);
  return { bucket: match[1], key: match[2] };
}

async function readAll(body: AsyncIterable<Uint8Array>, max: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > max) throw new Error(`${what} is larger than ${max} bytes`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/**
 * Streams `modelDataUrl` through the repack (gunzip, copy the model's
 * members, add the code under `code/`, gzip) into a multipart upload of
 * `s3://outputBucket/outputKey`.
 */
export async function repackInS3(client: S3Client, event: RepackEvent): Promise<RepackResult> {
  const code = parseS3Uri(event.codeUri);
  const model = parseS3Uri(event.modelDataUrl);
  const codeObject = await client.send(new GetObjectCommand({ Bucket: code.bucket, Key: code.key }));
  const sourceTarGz = await readAll(codeObject.Body as AsyncIterable<Uint8Array>, MAX_CODE_BYTES, event.codeUri);
  const modelObject = await client.send(new GetObjectCommand({ Bucket: model.bucket, Key: model.key }));
  const repacked = repackModelArchive(modelObject.Body as NodeJS.ReadableStream, sourceTarGz);
  const result = await uploadStream(client, repacked, { bucket: event.outputBucket, key: event.outputKey });
  return { modelDataUrl: `s3://${event.outputBucket}/${event.outputKey}`, bytes: result.bytes };
}

const s3 = new S3Client({});

/** The Lambda function's handler. */
export async function handler(event: RepackEvent): Promise<RepackResult> {
  return repackInS3(s3, event);
}
