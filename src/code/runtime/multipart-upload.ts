import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CompletedPart, CreateMultipartUploadCommand, S3Client, UploadPartCommand,
} from '@aws-sdk/client-s3';

/** Where and how a stream is uploaded. */
export interface MultipartUploadOptions {
  readonly bucket: string;
  readonly key: string;
  /** Bytes per part (S3: at least 5 MiB except the last, at most 10,000 parts). @default 16 MiB */
  readonly partSize?: number;
  /** Parts uploaded at the same time. @default 2 */
  readonly concurrency?: number;
}

export interface MultipartUploadResult {
  readonly bytes: number;
  readonly parts: number;
}

const MIN_PART_SIZE = 5 * 1024 * 1024;
const MAX_PARTS = 10_000;

/**
 * Uploads a stream of unknown length to S3 with a multipart upload, holding
 * at most `concurrency + 1` parts in memory. On any error the upload is
 * aborted (so no parts are left behind) and the error is thrown.
 */
export async function uploadStream(
  client: S3Client,
  source: AsyncIterable<Buffer | Uint8Array>,
  options: MultipartUploadOptions,
): Promise<MultipartUploadResult> {
  const partSize = options.partSize ?? 16 * 1024 * 1024;
  if (partSize < MIN_PART_SIZE) throw new Error(`partSize ${partSize} is below S3's minimum of ${MIN_PART_SIZE} bytes`);
  const concurrency = Math.max(1, options.concurrency ?? 2);
  const { UploadId: uploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: options.bucket, Key: options.key }));
  if (!uploadId) throw new Error(`S3 returned no UploadId for s3://${options.bucket}/${options.key}`);

  const completed: CompletedPart[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let bytes = 0;
  let partNumber = 0;

  const send = (body: Buffer) => {
    const number = ++partNumber;
    if (number > MAX_PARTS) throw new Error(`the object needs more than ${MAX_PARTS} parts of ${partSize} bytes`);
    const request = { Bucket: options.bucket, Key: options.key, UploadId: uploadId, PartNumber: number, Body: body };
    const upload = client.send(new UploadPartCommand(request))
      .then(result => { completed.push({ PartNumber: number, ETag: result.ETag }); })
      .catch(e => { failure ??= e; })
      .finally(() => inFlight.delete(upload));
    inFlight.add(upload);
  };

  try {
    let part = Buffer.allocUnsafe(partSize);
    let filled = 0;
    for await (const chunk of source) {
      let offset = 0;
      while (offset < chunk.length) {
        const n = Math.min(partSize - filled, chunk.length - offset);
        part.set(chunk.subarray(offset, offset + n), filled);
        filled += n;
        offset += n;
        if (filled === partSize) {
          while (inFlight.size >= concurrency) await Promise.race(inFlight);
          if (failure) throw failure;
          send(part);
          part = Buffer.allocUnsafe(partSize);
          filled = 0;
        }
      }
      bytes += chunk.length;
      if (failure) throw failure;
    }
    if (filled > 0 || partNumber === 0) send(part.subarray(0, filled));
    await Promise.all(inFlight);
    if (failure) throw failure;
    completed.sort((a, b) => a.PartNumber! - b.PartNumber!);
    await client.send(new CompleteMultipartUploadCommand({
      Bucket: options.bucket, Key: options.key, UploadId: uploadId, MultipartUpload: { Parts: completed },
    }));
    return { bytes, parts: completed.length };
  } catch (e) {
    await Promise.allSettled(inFlight);
    await client.send(new AbortMultipartUploadCommand({ Bucket: options.bucket, Key: options.key, UploadId: uploadId })).catch(() => undefined);
    throw e;
  }
}
