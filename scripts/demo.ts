/**
 * `npm run demo`: the library's main job, end to end, on this machine, for
 * each example in turn (all of them by default):
 *
 * - `iris` (examples/iris): a "bring your own algorithm" image;
 * - `sklearn-script-mode`: the scikit-learn lab in script mode on
 *   SageMaker's scikit-learn image. That image cannot be pulled here (no
 *   registry), so the demo says so and uses the tests' STAND-IN image
 *   (test/local/fixtures/framework), tagged with the real image URI;
 * - `tensorflow-script-mode`: the TensorFlow lab. It synthesizes; local mode
 *   needs the TensorFlow images on the machine and says so when they are not.
 *
 * For each: synthesizes the app with the CDK CLI, with no AWS credentials,
 * and prints the stack, its resources by type and the pipeline's steps; then
 * runs the same pipeline locally from that cloud assembly with Docker:
 * trains, batch-transforms, serves, and sends a few predictions.
 *
 * Where no Docker engine runs, scripts/setup-docker.sh installs and starts
 * one (and makes the debian:bookworm-slim base image without a registry).
 *
 *   npm run demo [-- --synth-only] [-- --workdir DIR] [-- --example NAME ...]
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { DockerRunner, ILocalRunObserver, LocalJobStatus, LocalLogEvent, LocalMetricEvent, TransformProgress } from '../src';
import { ensureStandInImage, imageOnMachine } from '../test/local/fixtures/framework/stand-in';

const root = path.resolve(__dirname, '..');

/** One example app and how the demo runs it locally. */
interface Example {
  /** Folder under examples/. */
  readonly name: string;
  /** Runs the synthesized pipeline locally. */
  readonly runLocally: (assemblyDir: string) => Promise<void>;
}

const EXAMPLES: Example[] = [
  { name: 'iris', runLocally: (dir) => trainTransformServe(dir, 'IrisStack/Iris') },
  { name: 'sklearn-script-mode', runLocally: runSklearnScriptMode },
  { name: 'tensorflow-script-mode', runLocally: runTensorflowScriptMode },
];

const { values } = parseArgs({
  options: {
    'synth-only': { type: 'boolean', default: false },
    'workdir': { type: 'string', default: path.join(root, '.byoa', 'demo') },
    'example': { type: 'string', multiple: true },
  },
});

function heading(text: string): void {
  console.log(`\n=== ${text}`);
}

/** Synthesizes an example with the CDK CLI, without AWS credentials or network. */
function synth(exampleDir: string, assemblyDir: string): void {
  heading(`cdk synth ${path.relative(root, exampleDir)} (no AWS credentials needed)`);
  fs.rmSync(assemblyDir, { recursive: true, force: true });
  const cdk = path.join(root, 'node_modules', 'aws-cdk', 'bin', 'cdk');
  const result = spawnSync(process.execPath, [cdk, 'synth', '--quiet', '--no-notices', '--output', assemblyDir], {
    cwd: exampleDir,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      // Nothing here may reach the network: no instance metadata lookups, no telemetry.
      AWS_EC2_METADATA_DISABLED: 'true',
      CDK_DISABLE_CLI_TELEMETRY: 'true',
    },
  });
  if (result.status !== 0) {
    throw new Error(`cdk synth failed with exit code ${result.status}`);
  }
}

function resolveJoin(value: any): string {
  if (typeof value === 'string') return value;
  if (value && value['Fn::Join']) return (value['Fn::Join'][1] as any[]).map(resolveJoin).join('');
  if (value && value.Ref) return `<${value.Ref}>`;
  if (value && value['Fn::GetAtt']) return `<${value['Fn::GetAtt'].join('.')}>`;
  return '<?>';
}

/** Prints what the synthesis produced. */
function describeAssembly(assemblyDir: string): void {
  const manifest = JSON.parse(fs.readFileSync(path.join(assemblyDir, 'manifest.json'), 'utf8'));
  for (const [id, artifact] of Object.entries<any>(manifest.artifacts)) {
    if (artifact.type !== 'aws:cloudformation:stack') continue;
    const template = JSON.parse(fs.readFileSync(path.join(assemblyDir, artifact.properties.templateFile), 'utf8'));
    const resources = Object.values<any>(template.Resources ?? {});
    heading(`Stack ${id} (${artifact.environment}): ${resources.length} resources`);
    const byType = new Map<string, number>();
    for (const r of resources) byType.set(r.Type, (byType.get(r.Type) ?? 0) + 1);
    for (const [type, count] of [...byType].sort()) console.log(`  ${String(count).padStart(3)}  ${type}`);
    for (const [logicalId, r] of Object.entries<any>(template.Resources ?? {})) {
      if (r.Type !== 'AWS::StepFunctions::StateMachine') continue;
      const definition = JSON.parse(resolveJoin(r.Properties.DefinitionString));
      heading(`Pipeline steps (state machine ${logicalId})`);
      printSteps(definition);
    }
  }
}

/** Walks the main path of a state machine: Next, the Choice's first rule, and each Catch target. */
function printSteps(definition: any): void {
  const seen = new Set<string>();
  let name: string | undefined = definition.StartAt;
  let step = 1;
  while (name && !seen.has(name)) {
    seen.add(name);
    const state = definition.States[name];
    const what = state.Resource ? state.Resource.replace(/^.*:states:::/, '') : state.Type;
    const onError = (state.Catch ?? []).map((c: any) => c.Next).join(', ');
    console.log(`  ${String(step++).padStart(2)}. ${name.padEnd(30)} ${what}${onError ? `   (on error: ${onError})` : ''}`);
    name = state.Next ?? state.Choices?.[0]?.Next ?? state.Default;
  }
}

class ConsoleObserver implements ILocalRunObserver {
  public onLogLine(event: LocalLogEvent): void {
    console.log(`  [${event.jobName}${event.host !== 'algo-1' ? `/${event.host}` : ''}] ${event.line}`);
  }
  public onMetric(event: LocalMetricEvent): void {
    console.log(`  metric ${event.metricName} = ${event.value}`);
  }
  public onProgress(message: string): void {
    console.log(`  ${message}`);
  }
}

/** Trains, batch-transforms, serves and invokes a pipeline locally (CSV in, one prediction per line out). */
async function trainTransformServe(assemblyDir: string, pipeline: string): Promise<void> {
  const runner = DockerRunner.fromCloudAssembly(assemblyDir, pipeline, { workDir: values.workdir, observer: new ConsoleObserver() });
  heading(`Local training of ${pipeline}`);
  const trained = await runner.train();
  if (trained.status !== LocalJobStatus.COMPLETED) {
    throw new Error(`training failed: ${trained.failureReason}`);
  }
  console.log(`  model: ${trained.modelArtifact}`);
  for (const m of trained.finalMetrics) console.log(`  final ${m.metricName} = ${m.value}`);

  heading('Local batch transform');
  let lastLine = '';
  const transformed = await runner.transform({
    modelArtifact: trained.modelArtifact,
    progressObserver: {
      onProgress(p: TransformProgress) {
        const line = `  ${p.recordsDone} records, ${p.filesDone}/${p.filesTotal} files, ${p.recordsPerSecond.toFixed(0)} records/s`;
        if (line !== lastLine && (p.finished || process.stdout.isTTY)) console.log(line);
        lastLine = line;
      },
    },
  });
  if (transformed.status !== LocalJobStatus.COMPLETED) {
    throw new Error(`batch transform failed: ${transformed.failureReason}`);
  }
  for (const file of transformed.outputFiles) {
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
    const counts = new Map<string, number>();
    for (const l of lines) counts.set(l, (counts.get(l) ?? 0) + 1);
    console.log(`  ${path.relative(root, file)}: ${lines.length} predictions (${[...counts].map(([k, v]) => `${v} ${k}`).join(', ')})`);
  }

  heading('Local real-time endpoint');
  const endpoint = await runner.startEndpoint({ modelArtifact: trained.modelArtifact });
  try {
    console.log(`  serving at ${endpoint.url}`);
    const samples = ['5.1,3.5,1.4,0.2', '6.0,2.9,4.5,1.5', '6.7,3.0,5.2,2.3'];
    const answer = await endpoint.invoke(samples.join('\n'), { contentType: 'text/csv', accept: 'text/csv' });
    const predictions = answer.body.split('\n');
    samples.forEach((s, i) => console.log(`  ${s} -> ${predictions[i]}`));
  } finally {
    await endpoint.stop();
    console.log('  endpoint stopped');
  }
}

/**
 * The scikit-learn lab on SageMaker's scikit-learn image: where the real
 * image is not on the machine (always, here: no registry), the tests'
 * stand-in takes its URI, and the demo says so.
 */
async function runSklearnScriptMode(assemblyDir: string): Promise<void> {
  const pipeline = 'SklearnScriptModeStack/IrisScript';
  const uri = runSpecImageUri(assemblyDir, pipeline);
  heading(`SageMaker's scikit-learn image ${uri}`);
  const present = await imageOnMachine(uri);
  if (present === 'real') {
    console.log('  It is on this machine: local mode runs it.');
  } else {
    console.log(present === 'missing'
      ? '  It is not on this machine, and no registry can be reached from here, so it cannot be pulled.'
      : '  It is on this machine as the tests\' stand-in (an earlier run put it there).');
    console.log('  This demo therefore uses the tests\' STAND-IN framework image (test/local/fixtures/framework): our own small');
    console.log('  toolkit-like container, NOT AWS\'s image, following the same script-mode contract. It is tagged as');
    console.log(`  ${uri}, so local mode finds it by that URI. Remove it with 'docker rmi ${uri}'.`);
    await ensureStandInImage([uri], { onLine: (line) => console.log(`  ${line}`) });
  }
  await trainTransformServe(assemblyDir, pipeline);
}

/**
 * The TensorFlow lab: it synthesizes anywhere; locally it needs SageMaker's
 * TensorFlow images on the machine. The demo never pulls them (gigabytes):
 * local mode then says which image is missing and how to get it.
 */
async function runTensorflowScriptMode(assemblyDir: string): Promise<void> {
  const pipeline = 'TensorflowScriptModeStack/KerasScript';
  const runner = DockerRunner.fromCloudAssembly(assemblyDir, pipeline, { workDir: values.workdir, observer: new ConsoleObserver(), pullImages: false });
  heading(`Local training of ${pipeline} (needs SageMaker's TensorFlow images on this machine)`);
  try {
    const trained = await runner.train();
    console.log(`  ${trained.status}${trained.failureReason ? `: ${trained.failureReason}` : ''}; model: ${trained.modelArtifact}`);
  } catch (e) {
    // Local mode's errors are recognised by name (jsii exports no Error subclass).
    if ((e as Error).name !== 'LocalModeError') throw e;
    console.log(`  local mode: ${(e as Error).message}`);
    console.log('  (Expected on a machine without the TensorFlow images: the example synthesizes, and runs locally once they are here.)');
  }
}

/** The training image URI of a pipeline in a synthesized assembly (read from its run spec). */
function runSpecImageUri(assemblyDir: string, pipeline: string): string {
  for (const file of fs.readdirSync(assemblyDir).filter((f) => f.endsWith('.metadata.json'))) {
    const metadata = JSON.parse(fs.readFileSync(path.join(assemblyDir, file), 'utf8'));
    const entry = (metadata[`/${pipeline}`] ?? []).find((e: any) => e.type === 'byoa:run-spec');
    if (entry) return entry.data.image.imageUri;
  }
  throw new Error(`no run spec of ${pipeline} in ${assemblyDir}`);
}

async function main(): Promise<void> {
  const names = values.example ?? EXAMPLES.map((e) => e.name);
  const unknown = names.filter((n) => !EXAMPLES.some((e) => e.name === n));
  if (unknown.length) {
    throw new Error(`unknown example ${unknown.join(', ')}; allowed: ${EXAMPLES.map((e) => e.name).join(', ')}`);
  }
  if (!values['synth-only']) {
    heading('Docker engine (scripts/setup-docker.sh installs and starts one where none runs)');
    execFileSync('bash', [path.join(root, 'scripts', 'setup-docker.sh')], { stdio: 'inherit' });
  }
  for (const example of EXAMPLES.filter((e) => names.includes(e.name))) {
    const exampleDir = path.join(root, 'examples', example.name);
    const assemblyDir = path.join(exampleDir, 'cdk.out');
    synth(exampleDir, assemblyDir);
    describeAssembly(assemblyDir);
    if (!values['synth-only']) {
      await example.runLocally(assemblyDir);
    }
  }
  heading('Done');
}

main().catch((error) => {
  console.error(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
