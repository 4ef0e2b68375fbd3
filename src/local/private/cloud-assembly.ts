/**
 * Reading run specs from a cloud assembly (INTERNAL). `cdk synth` stores each
 * pipeline's {@link RunSpec} as metadata of its stack artifact: in
 * `manifest.json` (`artifacts[<id>].metadata["/<construct path>"]`) or, with
 * current CDK versions, in the file that `artifacts[<id>].additionalMetadataFile`
 * names (`<stack>.metadata.json`, the same map). Each entry is
 * `{ type: "byoa:run-spec", data: RunSpec }`. Stacks inside a Stage live in a
 * nested assembly (`artifacts[<id>]` of type `cdk:cloud-assembly`, folder
 * `properties.directoryName`), which is read too.
 */
import * as fs from 'fs';
import * as path from 'path';
import { RUN_SPEC_METADATA_TYPE, RunSpec } from '../../private/run-spec';
import { LocalModeError } from '../errors';

type MetadataMap = { [path: string]: { type?: string; data?: unknown }[] };

interface ManifestLike {
  readonly artifacts?: {
    [id: string]: {
      readonly type?: string;
      readonly metadata?: MetadataMap;
      readonly additionalMetadataFile?: string;
      readonly properties?: { readonly directoryName?: string };
    };
  };
}

/** Every run spec in the assembly, by pipeline construct path (without the leading `/`). */
export function readRunSpecs(assemblyDir: string): Map<string, RunSpec> {
  const manifestPath = path.join(assemblyDir, 'manifest.json');
  if (!fs.existsSync(manifestPath)) {
    throw new LocalModeError(`No cloud assembly at ${path.resolve(assemblyDir)} (${manifestPath} does not exist). Run 'cdk synth' first, `
      + 'or point --app / assemblyDir at the cdk.out folder.');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  } catch (e) {
    throw new LocalModeError(`${manifestPath} is not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(parsed)) {
    throw new LocalModeError(`${manifestPath} is not a cloud assembly manifest: it holds ${describeJson(parsed)}, expected a JSON object `
      + 'with "artifacts". Run \'cdk synth\' again.');
  }
  if (parsed.artifacts !== undefined && !isObject(parsed.artifacts)) {
    throw new LocalModeError(`${manifestPath}: "artifacts" is ${describeJson(parsed.artifacts)}, expected an object of artifacts by id. Run 'cdk synth' again.`);
  }
  const manifest = parsed as ManifestLike;
  const specs = new Map<string, RunSpec>();
  for (const artifact of Object.values(manifest.artifacts ?? {})) {
    if (!artifact || typeof artifact !== 'object') continue;
    if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
      const nested = path.join(assemblyDir, artifact.properties.directoryName);
      for (const [key, spec] of readRunSpecs(nested)) specs.set(key, { ...spec, assemblyDirectory: spec.assemblyDirectory ?? nested });
      continue;
    }
    const metadata: MetadataMap = { ...artifact.metadata };
    if (artifact.additionalMetadataFile) {
      const file = path.join(assemblyDir, artifact.additionalMetadataFile);
      try {
        Object.assign(metadata, JSON.parse(fs.readFileSync(file, 'utf8')));
      } catch (e) {
        throw new LocalModeError(`Cannot read the stack metadata file ${file} named by ${manifestPath}: ${(e as Error).message}`);
      }
    }
    for (const [constructPath, entries] of Object.entries(metadata)) {
      for (const entry of Array.isArray(entries) ? entries : []) {
        if (entry?.type !== RUN_SPEC_METADATA_TYPE) { continue; }
        const spec = entry.data as RunSpec;
        const key = (spec?.pipeline ?? constructPath).replace(/^\/+/, '');
        if (spec?.version !== 1) {
          throw new LocalModeError(`The run spec of ${key} has version ${String(spec?.version)}; this version of local mode reads version 1. `
            + 'Synthesize with the same version of cdk-sagemaker-byoa as the byoa CLI.');
        }
        checkRunSpec(spec, key, manifestPath);
        specs.set(key, spec);
      }
    }
  }
  return specs;
}

function isObject(value: unknown): value is { [key: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `null`, `an array`, `a string ("...")`, ... for messages. */
function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `a string (${JSON.stringify(value.slice(0, 40))})`;
  return `a ${typeof value}`;
}

/** The parts of a run spec every runner reads: a clear error instead of a TypeError later. */
function checkRunSpec(spec: RunSpec, key: string, file: string): void {
  const missing: string[] = [];
  if (!isObject(spec.image)) missing.push('image');
  if (!isObject(spec.training)) missing.push('training (the CreateTrainingJob request)');
  if (!isObject(spec.model)) missing.push('model (the CreateModel request)');
  if (spec.transform !== undefined && !isObject(spec.transform)) missing.push('transform (the CreateTransformJob request)');
  if (missing.length) {
    throw new LocalModeError(`The run spec of ${key} in ${file} lacks ${missing.join(', ')}: it was not written by this library's `
      + 'ByoaPipeline, or the file was cut. Run \'cdk synth\' again.');
  }
}

/**
 * The run spec of one pipeline. `pipelinePath` is its construct path
 * (`IrisStack/Iris`, a leading `/` is allowed), or just the pipeline's id
 * when that is unambiguous. The error lists the pipelines that exist.
 */
export function readRunSpec(assemblyDir: string, pipelinePath: string): RunSpec {
  const specs = readRunSpecs(assemblyDir);
  const wanted = pipelinePath.replace(/^\/+/, '');
  const exact = specs.get(wanted);
  if (exact) { return exact; }
  const byId = [...specs.keys()].filter((k) => k.split('/').pop() === wanted);
  if (byId.length === 1) { return specs.get(byId[0])!; }
  const known = [...specs.keys()].sort();
  throw new LocalModeError(`No pipeline '${pipelinePath}' in the cloud assembly ${path.resolve(assemblyDir)}. `
    + (known.length
      ? `${byId.length > 1 ? `'${wanted}' is ambiguous. ` : ''}Pipelines: ${known.join(', ')}.`
      : 'It holds no ByoaPipeline run spec: synthesize an app that defines a pipeline.'));
}
