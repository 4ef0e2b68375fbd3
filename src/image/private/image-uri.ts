import { ImageScopeFacts, ImageVersionFacts } from './image-table';
import { IMAGE_TABLE } from './image-table.generated';

/** Training or inference: which of an image's scopes is meant. */
export type ImageUseName = 'training' | 'inference';

/** One use of an image to check: where it runs. */
export interface ImageUseCheck {
  readonly use: ImageUseName;
  /** Property of the instance type, for messages (`training.instanceType`). */
  readonly property: string;
  readonly instanceType: string;
  /** Training only: the instance count. */
  readonly instanceCount?: number;
}

/** One SageMaker image, resolved to everything but the region. */
export interface SageMakerImageRef {
  /** Image name in the table (`sklearn`, `linear-learner`). */
  readonly name: string;
  readonly use: ImageUseName;
  /** The resolved version (aliases followed). */
  readonly version: string;
  /** The Python version in the tag, if any. */
  readonly pyVersion?: string;
  /** The processor in the tag, if any. */
  readonly processor?: string;
  readonly repository: string;
  readonly tag: string;
  /** Region -> registry account, for every region that has the image. */
  readonly registries: { readonly [region: string]: string };
}

/** A version and Python version resolved against the table, before the processor is known. */
export interface ResolvedVersion {
  readonly name: string;
  readonly use: ImageUseName;
  readonly version: string;
  readonly pyVersion?: string;
  readonly facts: ImageVersionFacts;
}

/** Why a version cannot be resolved, with what is allowed. */
export class ImageLookupError extends Error {
  constructor(readonly property: string, readonly value: string, readonly allowed: string) {
    super(`${property}: ${JSON.stringify(value)} is not valid; allowed: ${allowed}`);
    this.name = 'ImageLookupError';
  }
}

function scopeOf(name: string, use: ImageUseName): ImageScopeFacts {
  const scope = IMAGE_TABLE.images[name]?.[use];
  if (!scope) throw new Error(`no ${use} image named ${name} in the image table`);
  return scope;
}

/** Versions of an image's scope, oldest first. */
export function versionsOf(name: string, use: ImageUseName, filter: (v: string) => boolean = () => true): string[] {
  return Object.keys(scopeOf(name, use).versions).filter(filter).sort(compareVersions);
}

/** Numeric-aware comparison of version strings (`1.10.0` after `1.9.1`, `1.2-1` after `1.0-1`). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/);
  const pb = b.split(/[.-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = Number(x);
    const ny = Number(y);
    const diff = !Number.isNaN(nx) && !Number.isNaN(ny) ? nx - ny : x.localeCompare(y);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** `py312` -> [3, 12]; `py3` -> [3, -1] (older than every `py3x`). */
function pyKey(py: string): [number, number] {
  const digits = py.replace(/^py/, '');
  return digits.length === 1 ? [Number(digits), -1] : [Number(digits[0]), Number(digits.slice(1))];
}

/** The newest Python version of a list. */
export function newestPython(pys: readonly string[]): string {
  return [...pys].sort((a, b) => {
    const [ma, na] = pyKey(a);
    const [mb, nb] = pyKey(b);
    return ma - mb || na - nb;
  })[pys.length - 1];
}

function describeList(values: readonly string[], max = 100): string {
  if (values.length <= max) return values.join(', ');
  return `${values.slice(0, max).join(', ')}, ... (${values.length} in all)`;
}

/**
 * Resolves a version (or alias) and a Python version of an image.
 * @param versionFilter the versions that count (XGBoost's `1` is algorithm mode only)
 */
export function resolveVersion(
  name: string,
  use: ImageUseName,
  version: string,
  pyVersion: string | undefined,
  property: string,
  versionFilter: (v: string) => boolean = () => true,
): ResolvedVersion {
  const scope = scopeOf(name, use);
  const exact = scope.aliases?.[version] ?? version;
  const facts = versionFilter(exact) ? scope.versions[exact] : undefined;
  if (!facts) {
    const aliases = Object.entries(scope.aliases ?? {}).filter(([, v]) => versionFilter(v)).map(([a]) => a);
    throw new ImageLookupError(`${property} version`, version,
      `a ${name} ${use} version in the image table: ${describeList(versionsOf(name, use, versionFilter))}`
      + (aliases.length ? `; or an alias: ${describeList(aliases.sort(compareVersions))}` : ''));
  }
  if (facts.py?.length) {
    if (pyVersion !== undefined && !facts.py.includes(pyVersion)) {
      throw new ImageLookupError(`${property} pythonVersion`, pyVersion, `for ${name} ${exact}: ${facts.py.join(', ')}`);
    }
    return { name, use, version: exact, pyVersion: pyVersion ?? newestPython(facts.py), facts };
  }
  if (pyVersion !== undefined) {
    throw new ImageLookupError(`${property} pythonVersion`, pyVersion, `nothing: ${name} ${exact} images have no Python version in their tag`);
  }
  return { name, use, version: exact, facts };
}

/** The processor an instance type needs: `gpu` for the g and p families, `inf` for inf, `trn` for trn, else `cpu`. */
export function processorOf(instanceType: string): string {
  const family = instanceType.replace(/^ml\./, '').split('.')[0] ?? '';
  if (/^inf/.test(family)) return 'inf';
  if (/^trn/.test(family)) return 'trn';
  if (/^[gp]/.test(family)) return 'gpu';
  return 'cpu';
}

/** The processors a version has images for (empty: one image for every instance type). */
export function processorsOf(resolved: ResolvedVersion): readonly string[] {
  return resolved.facts.p ?? [];
}

/**
 * The image of a resolved version for a processor. Returns undefined when
 * the version has no image for that processor.
 */
export function imageRef(resolved: ResolvedVersion, processor: string): SageMakerImageRef | undefined {
  const { facts } = resolved;
  const processors = facts.p ?? [];
  const usedProcessor = processors.length ? processor : undefined;
  if (usedProcessor && !processors.includes(usedProcessor)) return undefined;
  const where = resolved.pyVersion && facts.byPy?.[resolved.pyVersion];
  const repository = where ? where.r : facts.r!;
  const mapId = where ? where.m : facts.m!;
  const tagParts = [resolved.version, usedProcessor, resolved.pyVersion, usedProcessor ? facts.c?.[usedProcessor] : undefined];
  return {
    name: resolved.name,
    use: resolved.use,
    version: resolved.version,
    pyVersion: resolved.pyVersion,
    processor: usedProcessor,
    repository,
    tag: tagParts.filter(p => p !== undefined && p !== '').join('-'),
    registries: IMAGE_TABLE.registries[mapId],
  };
}

/** The partition DNS suffix of a region (`amazonaws.com.cn` for `cn-*`, ...). */
export function domainOf(region: string): string {
  const match = Object.entries(IMAGE_TABLE.domains).find(([prefix]) => prefix !== 'default' && region.startsWith(prefix));
  return match ? match[1] : IMAGE_TABLE.domains.default;
}

/** Regions that have an image, sorted. */
export function regionsOf(ref: SageMakerImageRef): string[] {
  return Object.keys(ref.registries).sort();
}

/** Where an image is: repository, tag and the registry account of each region that has it. */
export interface ImageLocation {
  readonly repository: string;
  readonly tag: string;
  readonly registries: { readonly [region: string]: string };
}

/** The literal URI of an image in a region, or undefined when the region has no such image. */
export function literalImageUri(ref: ImageLocation, region: string): string | undefined {
  const account = ref.registries[region];
  if (!account) return undefined;
  return `${account}.dkr.ecr.${region}.${domainOf(region)}/${ref.repository}:${ref.tag}`;
}

/** Names of the images in the table that are not frameworks: the built-in algorithms. */
export function imageNames(): string[] {
  return Object.keys(IMAGE_TABLE.images).sort();
}

/**
 * The URI of a run spec's SageMaker image in a region (for local mode with an
 * environment-agnostic stack). Throws naming the regions that have the image.
 */
export function sagemakerImageUri(spec: ImageLocation, region: string): string {
  const uri = literalImageUri(spec, region);
  if (!uri) {
    throw new Error(`${spec.repository}:${spec.tag} is not available in ${region}; regions that have it: ${Object.keys(spec.registries).sort().join(', ')}`);
  }
  return uri;
}
