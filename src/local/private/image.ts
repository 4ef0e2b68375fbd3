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
 *
 * SageMaker's own images (framework containers) are used when their exact
 * URI is on the machine, without any AWS call; otherwise local mode logs in
 * to their registry and pulls, and says plainly when that fails. Before
 * building an asset whose Dockerfile starts `FROM` an ECR image that is not
 * on the machine (a framework image extended by the user), local mode logs
 * in to that image's registry, as `docker build` needs.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { ECRClient } from '@aws-sdk/client-ecr';
import { dockerfileBaseImages, EcrRegistry, ecrRegistryOf } from './base-images';
import {
  buildArgs, DockerCli, imageInspectArgs, LineCallback, loginArgs, pullArgs, sortedEntries,
} from './docker';
import { ImageBuildLog } from './image-build-log';
import { sagemakerImageUri } from '../../image/private/image-uri';
import { ecrSdk } from '../../private/lazy-sdk';
import type { AssetImageSpec, ImageSpec, RepositoryImageSpec, SageMakerImageSpec } from '../../private/run-spec';
import { LocalModeError } from '../errors';

/** The scheme of an image URI that was a token at synth time: `unresolved://<construct path of the repository>`. */
const UNRESOLVED_PREFIX = 'unresolved://';

/** Images known to be present, per Docker CLI and tag (saves a `docker image inspect` per job). */
const presentImages = new Set<string>();

export interface PrepareImageOptions {
  /** The Docker CLI that builds, pulls, logs in and looks for images (the runner's). */
  readonly docker: DockerCli;
  /** Progress notes and pull output, line by line; of a build, one line per step (see `verbose`). */
  readonly onLine?: LineCallback;
  /** Folder that keeps the full output of image builds. @default - it is not kept */
  readonly buildLogDir?: string;
  /** Pass on every line of an image build, not only one line per step. @default false */
  readonly verbose?: boolean;
  /** ECR client factory (tests). @default - new ECRClient({ region }) */
  readonly ecrClientFactory?: (region: string | undefined) => ECRClient;
  /** Whether a SageMaker image that is not on the machine may be pulled. @default true */
  readonly pull?: boolean;
  /** The run's region: picks the registry of a SageMaker image whose region was not concrete at synth time. */
  readonly region?: string;
}

/** Make `spec` available locally and return the image reference to run. */
export async function prepareImage(spec: ImageSpec, assemblyDir: string, options: PrepareImageOptions): Promise<string> {
  switch (spec.kind) {
    case 'asset': return buildAssetImage(spec, assemblyDir, options);
    case 'repository': return pullRepositoryImage(spec, options);
    case 'sagemaker': return pullSageMakerImage(spec, options);
    default:
      throw new LocalModeError(`Unknown image kind '${(spec as { kind: string }).kind}' in the run spec: expected 'asset', 'repository' or 'sagemaker'.`);
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
  const docker = options.docker;
  if (await imageExists(docker, tag)) { return tag; }
  const context = buildContext(spec, assemblyDir, options);
  await loginForBaseImages(context, spec, options);
  const engine = await docker.engine();
  const args = buildArgs({
    tag, context, file: spec.file, platform: spec.platform, target: spec.target, buildArgs: spec.buildArgs, hostNetwork: !engine.hasBridge,
  });
  const log = new ImageBuildLog({ tag, logDir: options.buildLogDir, onLine: options.onLine, verbose: options.verbose });
  log.start(context);
  try {
    await docker.run(args, { onLine: log.onLine });
  } catch (e) {
    throw log.failure(e as Error);
  } finally {
    log.close();
  }
  presentImages.add(presenceKey(docker, tag));
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

/**
 * Logs in to the ECR registry of every `FROM` image of the Dockerfile that
 * is not on the machine (`docker build` cannot pull it otherwise).
 */
async function loginForBaseImages(context: string, spec: AssetImageSpec, options: PrepareImageOptions): Promise<void> {
  const dockerfile = path.join(context, spec.file ?? 'Dockerfile');
  if (!fs.existsSync(dockerfile)) { return; }
  const registries = new Map<string, { registry: EcrRegistry; image: string }>();
  for (const image of dockerfileBaseImages(fs.readFileSync(dockerfile, 'utf8'), spec.buildArgs)) {
    const registry = ecrRegistryOf(image);
    if (registry && !registries.has(registry.host) && !(await imageExists(options.docker, image))) {
      registries.set(registry.host, { registry, image });
    }
  }
  for (const { registry, image } of registries.values()) {
    options.onLine?.(`The Dockerfile starts FROM ${image}, which is not on this machine: logging in to ${registry.host} first.`, 'stdout');
    await ecrLogin(registry, options, `to build ${path.basename(dockerfile)} FROM ${image}`);
  }
}

/**
 * A SageMaker image: used as it is when its exact URI is on the machine
 * (no AWS call at all), else pulled after an ECR login; a failure says
 * that local mode needs the image on the machine.
 */
async function pullSageMakerImage(spec: SageMakerImageSpec, options: PrepareImageOptions): Promise<string> {
  const uri = localSageMakerImageUri(spec, options.region);
  const docker = options.docker;
  if (await imageExists(docker, uri)) { return uri; }
  const registry = ecrRegistryOf(uri);
  const host = registry?.host ?? uri.split('/')[0];
  const missing = (why: string) => new LocalModeError(`Local mode needs SageMaker's image ${uri} on this machine, and it is not there: ${why}. `
    + `Pull it where ${host} is reachable, with AWS credentials: `
    + `'aws ecr get-login-password --region ${registry?.region ?? '<region>'} | docker login --username AWS --password-stdin ${host}' `
    + `then 'docker pull ${uri}' (or 'docker load' an image saved elsewhere, or tag an image of your own with that URI).`);
  if (options.pull === false) { throw missing('pulling is turned off (pullImages: false)'); }
  options.onLine?.(`${uri} is not on this machine: pulling it from SageMaker's registry.`, 'stdout');
  try {
    if (registry) { await ecrLogin(registry, options, `to pull ${uri}`); }
    await docker.run(pullArgs(uri), { onLine: options.onLine });
  } catch (e) {
    throw missing(`pulling it failed (${(e as Error).message.split('\n')[0]})`);
  }
  presentImages.add(presenceKey(docker, uri));
  return uri;
}

/** The URI of a SageMaker image, in the run's region when the stack's was not concrete. */
export function localSageMakerImageUri(spec: SageMakerImageSpec, region: string | undefined): string {
  if (!spec.imageUri.startsWith(UNRESOLVED_PREFIX)) { return spec.imageUri; }
  try {
    return sagemakerImageUri(spec, region ?? '(none)');
  } catch (e) {
    throw new LocalModeError(`The stack is environment-agnostic, so local mode takes SageMaker's image from the region it runs in (AWS_REGION), but ${(e as Error).message}: `
      + 'set AWS_REGION to one of those.');
  }
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
  const docker = options.docker;
  if (await imageExists(docker, uri)) { return uri; }
  const registry = ecrRegistryOf(uri);
  if (registry) {
    await ecrLogin({ ...registry, region: spec.region ?? registry.region, account: spec.registryId ?? registry.account }, options,
      'to pull the algorithm image', `build the image locally and tag it as ${uri}`);
  }
  await docker.run(pullArgs(uri), { onLine: options.onLine });
  presentImages.add(presenceKey(docker, uri));
  return uri;
}

/**
 * `docker login` to an ECR registry with a token from `GetAuthorizationToken`
 * (`registryIds: [account]`: the token is for that registry). `purpose` and
 * `alternative` complete the message when there is no token.
 */
export async function ecrLogin(ecr: EcrRegistry, options: PrepareImageOptions, purpose = 'to pull the image', alternative?: string): Promise<void> {
  const { host: registry, region } = ecr;
  const client = options.ecrClientFactory ? options.ecrClientFactory(region) : new (ecrSdk().ECRClient)({ region });
  let token: string | undefined;
  let endpoint: string | undefined;
  try {
    const res = await client.send(new (ecrSdk().GetAuthorizationTokenCommand)({ registryIds: [ecr.account] }));
    token = res.authorizationData?.[0]?.authorizationToken;
    endpoint = res.authorizationData?.[0]?.proxyEndpoint;
  } catch (e) {
    throw new LocalModeError(`Could not get an ECR login token for ${registry} (region ${region}) ${purpose}: ${(e as Error).message}. `
      + 'Configure AWS credentials (environment, profile or SSO) that may call ecr:GetAuthorizationToken'
      + (alternative ? `, or ${alternative}.` : '.'));
  }
  if (!token) {
    throw new LocalModeError(`ECR returned no authorization token for ${registry}.`);
  }
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  const sep = decoded.indexOf(':');
  if (sep < 0) { throw new LocalModeError(`The ECR authorization token for ${registry} is not of the form user:password.`); }
  await options.docker.run(loginArgs(decoded.slice(0, sep), endpoint ?? `https://${registry}`), { input: decoded.slice(sep + 1) });
}

async function imageExists(docker: DockerCli, ref: string): Promise<boolean> {
  if (presentImages.has(presenceKey(docker, ref))) { return true; }
  const res = await docker.run(imageInspectArgs(ref), { check: false });
  if (res.exitCode === 0) { presentImages.add(presenceKey(docker, ref)); }
  return res.exitCode === 0;
}

/** Another Docker CLI may talk to another engine. */
function presenceKey(docker: DockerCli, ref: string): string {
  return `${docker.executable}\0${ref}`;
}

/** Forget the cached presence of images (tests that delete images). */
export function forgetPresentImages(): void {
  presentImages.clear();
}
