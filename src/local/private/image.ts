/**
 * Preparing the algorithm image for local mode (INTERNAL): build an asset
 * image with a deterministic tag, or log in to ECR and pull a repository
 * image. Both skip the work when the image is already present locally.
 *
 * An asset is built from its copy staged in the cloud assembly
 * (`<assembly>/<directory>`); when that copy is missing (an assembly copied
 * without its assets), from `sourceDirectory`, the original build folder on
 * the machine that ran `cdk synth`, if it exists here (said in a progress
 * line). A repository image whose URI was not concrete at synth time
 * (`unresolved://<construct path>`) fails up front.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import {
  buildArgs, docker, dockerExecutable, ensureDockerEngine, imageInspectArgs, LineCallback, loginArgs, pullArgs, sortedEntries,
} from './docker';
import type { AssetImageSpec, ImageSpec, RepositoryImageSpec } from '../../private/run-spec';
import { LocalModeError } from '../errors';

/** The scheme of an image URI that was a token at synth time: `unresolved://<construct path of the repository>`. */
const UNRESOLVED_PREFIX = 'unresolved://';

/** Images known to be present, per Docker CLI and tag (saves a `docker image inspect` per job). */
const presentImages = new Set<string>();

export interface PrepareImageOptions {
  /** Build/pull output and progress notes, line by line. */
  readonly onLine?: LineCallback;
  /** ECR client factory (tests). @default - new ECRClient({ region }) */
  readonly ecrClientFactory?: (region: string | undefined) => ECRClient;
}

/** Make `spec` available locally and return the image reference to run. */
export async function prepareImage(spec: ImageSpec, assemblyDir: string, options: PrepareImageOptions = {}): Promise<string> {
  switch (spec.kind) {
    case 'asset': return buildAssetImage(spec, assemblyDir, options);
    case 'repository': return pullRepositoryImage(spec, options);
    default:
      throw new LocalModeError(`Unknown image kind '${(spec as { kind: string }).kind}' in the run spec: expected 'asset' or 'repository'.`);
  }
}

/**
 * The deterministic tag of an asset image: `byoa-local/<asset dir>:<hash>`
 * where the hash covers the staged directory name (CDK names it
 * `asset.<source hash>`) and the build options.
 */
export function assetImageTag(spec: AssetImageSpec): string {
  const dirName = path.basename(spec.directory);
  const h = createHash('sha256')
    .update(JSON.stringify([dirName, spec.file ?? 'Dockerfile', spec.target ?? '', spec.platform ?? 'linux/amd64', sortedEntries(spec.buildArgs)]))
    .digest('hex')
    .slice(0, 16);
  return `byoa-local/${dirName.toLowerCase().replace(/[^a-z0-9._-]/g, '-').replace(/^[^a-z0-9]+/, '') || 'image'}:${h}`;
}

async function buildAssetImage(spec: AssetImageSpec, assemblyDir: string, options: PrepareImageOptions): Promise<string> {
  const tag = assetImageTag(spec);
  if (await imageExists(tag)) { return tag; }
  const context = buildContext(spec, assemblyDir, options);
  const engine = await ensureDockerEngine();
  const args = buildArgs({
    tag, context, file: spec.file, platform: spec.platform, target: spec.target, buildArgs: spec.buildArgs, hostNetwork: !engine.hasBridge,
  });
  await docker(args, { onLine: options.onLine });
  presentImages.add(presenceKey(tag));
  return tag;
}

/** The staged copy in the assembly, else the original source folder, else a clear error. */
function buildContext(spec: AssetImageSpec, assemblyDir: string, options: PrepareImageOptions): string {
  const staged = path.resolve(assemblyDir, spec.directory);
  if (fs.existsSync(staged)) { return staged; }
  const source = spec.sourceDirectory ? path.resolve(spec.sourceDirectory) : undefined;
  if (source && fs.existsSync(source)) {
    options.onLine?.(`The staged image asset ${staged} is missing: building from the original source folder ${source} instead.`, 'stdout');
    return source;
  }
  throw new LocalModeError(`The image asset directory ${staged} does not exist`
    + (source ? `, and neither does its original source folder ${source}` : '')
    + ': run \'cdk synth\' again so the asset is staged in the cloud assembly.');
}

async function pullRepositoryImage(spec: RepositoryImageSpec, options: PrepareImageOptions): Promise<string> {
  const uri = spec.imageUri;
  if (uri?.startsWith(UNRESOLVED_PREFIX)) {
    const constructPath = uri.slice(UNRESOLVED_PREFIX.length);
    throw new LocalModeError(`The algorithm image comes from the ECR repository ${constructPath}, whose URI is not known at synth time, `
      + 'so local mode cannot pull it. The repository\'s account, region and name must be concrete: for example a repository imported with '
      + 'Repository.fromRepositoryName() in a stack with an explicit env ({ account, region }). Or use an image asset.');
  }
  if (!uri || uri.includes('${Token[')) {
    throw new LocalModeError('The algorithm image URI is not known at synth time (it is a CloudFormation token), so local mode cannot pull it. '
      + 'Use a concrete repository URI or an image asset.');
  }
  if (await imageExists(uri)) { return uri; }
  const registry = uri.split('/')[0];
  if (/\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/.test(registry)) {
    await ecrLogin(spec, registry, options);
  }
  await docker(pullArgs(uri), { onLine: options.onLine });
  presentImages.add(presenceKey(uri));
  return uri;
}

/** `docker login` to an ECR registry with a token from `GetAuthorizationToken`. */
export async function ecrLogin(spec: RepositoryImageSpec, registry: string, options: PrepareImageOptions = {}): Promise<void> {
  const region = spec.region ?? registry.split('.')[3];
  const client = options.ecrClientFactory ? options.ecrClientFactory(region) : new ECRClient({ region });
  let token: string | undefined;
  let endpoint: string | undefined;
  try {
    const res = await client.send(new GetAuthorizationTokenCommand(spec.registryId ? { registryIds: [spec.registryId] } : {}));
    token = res.authorizationData?.[0]?.authorizationToken;
    endpoint = res.authorizationData?.[0]?.proxyEndpoint;
  } catch (e) {
    throw new LocalModeError(`Could not get an ECR login token for ${registry} (region ${region}) to pull the algorithm image: ${(e as Error).message}. `
      + 'Configure AWS credentials (environment, profile or SSO) that may call ecr:GetAuthorizationToken, or build the image locally and tag it as '
      + `${spec.imageUri}.`);
  }
  if (!token) {
    throw new LocalModeError(`ECR returned no authorization token for ${registry}.`);
  }
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  const sep = decoded.indexOf(':');
  if (sep < 0) { throw new LocalModeError(`The ECR authorization token for ${registry} is not of the form user:password.`); }
  await docker(loginArgs(decoded.slice(0, sep), endpoint ?? `https://${registry}`), { input: decoded.slice(sep + 1) });
}

async function imageExists(ref: string): Promise<boolean> {
  if (presentImages.has(presenceKey(ref))) { return true; }
  const res = await docker(imageInspectArgs(ref), { check: false });
  if (res.exitCode === 0) { presentImages.add(presenceKey(ref)); }
  return res.exitCode === 0;
}

/** Another Docker CLI may talk to another engine. */
function presenceKey(ref: string): string {
  return `${dockerExecutable()}\0${ref}`;
}

/** Forget the cached presence of images (tests that delete images). */
export function forgetPresentImages(): void {
  presentImages.clear();
}
