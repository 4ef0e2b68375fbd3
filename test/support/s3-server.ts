/**
 * A real S3-compatible server for the tests: `s3rver` (an S3 REST API on the
 * file system) on a loopback port, and SDK clients pointed at it with the
 * endpoint override and path-style addressing.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
// s3rver ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver');

export interface TestS3Server {
  readonly endpoint: string;
  /** A client of the server (any region name works). */
  client(region?: string): S3Client;
  createBucket(name: string): Promise<void>;
  put(bucket: string, key: string, body: Buffer | string): Promise<void>;
  close(): Promise<void>;
}

/** Starts s3rver on 127.0.0.1 on a free port, storing into a new temporary folder. */
export async function startS3Server(): Promise<TestS3Server> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'byoa-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir });
  const { address, port } = await server.run();
  const endpoint = `http://${address}:${port}`;
  const client = (region = 'us-east-1') => new S3Client({
    region,
    endpoint,
    forcePathStyle: true,
    // s3rver's default key pair
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  const admin = client();
  return {
    endpoint,
    client,
    createBucket: async (name) => {
      await admin.send(new CreateBucketCommand({ Bucket: name }));
    },
    put: async (bucket, key, body) => {
      await admin.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    close: async () => {
      admin.destroy();
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
