/**
 * `npm run demo`: the library's main job, end to end, on this machine.
 *
 * 1. Synthesizes the iris example app (examples/iris) with the CDK CLI, with
 *    no AWS credentials, and prints the stack, its resources by type and the
 *    pipeline's steps.
 * 2. Runs the same pipeline locally from that cloud assembly with Docker:
 *    trains, batch-transforms, serves, and sends a few predictions.
 *
 * Where no Docker engine runs, scripts/setup-docker.sh installs and starts
 * one (and makes the debian:bookworm-slim base image without a registry).
 *
 *   npm run demo [-- --synth-only] [-- --workdir DIR]
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { DockerRunner, ILocalRunObserver, LocalJobStatus, LocalLogEvent, LocalMetricEvent, TransformProgress } from '../src';

const root = path.resolve(__dirname, '..');
const exampleDir = path.join(root, 'examples', 'iris');
const assemblyDir = path.join(exampleDir, 'cdk.out');
const PIPELINE = 'IrisStack/Iris';

const { values } = parseArgs({
  options: {
    'synth-only': { type: 'boolean', default: false },
    'workdir': { type: 'string', default: path.join(root, '.byoa', 'demo') },
  },
});

function heading(text: string): void {
  console.log(`\n=== ${text}`);
}

/** Synthesizes the example with the CDK CLI, without AWS credentials or network. */
function synth(): void {
  heading('cdk synth examples/iris (no AWS credentials needed)');
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
function describeAssembly(): void {
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

async function runLocally(): Promise<void> {
  heading('Docker engine (scripts/setup-docker.sh installs and starts one where none runs)');
  execFileSync('bash', [path.join(root, 'scripts', 'setup-docker.sh')], { stdio: 'inherit' });

  const runner = DockerRunner.fromCloudAssembly(assemblyDir, PIPELINE, { workDir: values.workdir, observer: new ConsoleObserver() });
  heading(`Local training of ${PIPELINE}`);
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

async function main(): Promise<void> {
  synth();
  describeAssembly();
  if (!values['synth-only']) {
    await runLocally();
  }
  heading('Done');
}

main().catch((error) => {
  console.error(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
