// A CDK app for the synth benchmark: N iris pipelines, written either with
// this library (`byoa`) or by hand with aws-cdk-lib's stepfunctions-tasks
// SageMaker tasks (`baseline`), with the same resources: an execution role,
// an output bucket, the inputs extracted into it, a state machine that trains,
// creates the model, runs a batch transform and creates an endpoint.
// With MIX=script every second pipeline is the scikit-learn lab in script mode
// on SageMaker's scikit-learn image instead (the library packs sourcedir.tar.gz
// at synth; by hand it is packed with `tar` before the timed synth, and the
// image URI comes from a CfnMapping, as the library's does).
//   node bench/synth-app.js byoa|baseline COUNT [iris|script]
const path = require('path');
const cdk = require('aws-cdk-lib');
const ecrAssets = require('aws-cdk-lib/aws-ecr-assets');
const iam = require('aws-cdk-lib/aws-iam');
const logs = require('aws-cdk-lib/aws-logs');
const s3 = require('aws-cdk-lib/aws-s3');
const s3deploy = require('aws-cdk-lib/aws-s3-deployment');
const sfn = require('aws-cdk-lib/aws-stepfunctions');
const tasks = require('aws-cdk-lib/aws-stepfunctions-tasks');
const { InstanceType } = require('aws-cdk-lib/aws-ec2');

const [variant, countText, mix = 'iris'] = process.argv.slice(2);
const count = Number(countText);
const PIPELINES_PER_STACK = 10;
const iris = path.join(__dirname, '..', 'examples', 'iris');

function byoaPipeline(scope, id) {
  const byoa = require('../lib');
  new byoa.ByoaPipeline(scope, id, {
    image: byoa.AlgorithmImage.fromAsset(path.join(iris, 'container')),
    training: {
      channels: [{ channelName: 'training', input: byoa.TrainingInput.fromAsset(path.join(iris, 'data/training')), contentType: 'text/csv' }],
      hyperparameters: { max_leaf_nodes: 5 },
      metricDefinitions: [{ name: 'train:accuracy', regex: 'accuracy=([0-9\\.]+)' }],
      instanceType: byoa.InstanceType.ML_M5_LARGE,
      maxRuntime: cdk.Duration.hours(1),
    },
    batchTransform: {
      input: byoa.TransformInput.fromAsset(path.join(iris, 'data/batch')),
      contentType: 'text/csv',
      splitType: byoa.SplitType.LINE,
      batchStrategy: byoa.BatchStrategy.MULTI_RECORD,
      assembleWith: byoa.AssembleWith.LINE,
      instanceType: byoa.InstanceType.ML_M5_LARGE,
    },
    endpoint: { instanceType: byoa.InstanceType.ML_T2_MEDIUM, initialInstanceCount: 1 },
  });
}

/** The hand-written transform, endpoint config, endpoint and state machine after training and the model. */
function transformAndHost(root, id, { role, bucket, train, model, lines, hostingType }) {
  const transform = new tasks.SageMakerCreateTransformJob(root, 'Transform', {
    transformJobName: sfn.JsonPath.stringAt('$$.Execution.Name'),
    modelName: sfn.JsonPath.stringAt('$$.Execution.Name'),
    role,
    batchStrategy: lines ? tasks.BatchStrategy.MULTI_RECORD : undefined,
    transformInput: {
      transformDataSource: { s3DataSource: { s3Uri: `s3://${bucket.bucketName}/inputs/batch/`, s3DataType: tasks.S3DataType.S3_PREFIX } },
      contentType: 'text/csv',
      splitType: tasks.SplitType.LINE,
    },
    transformOutput: { s3OutputPath: `s3://${bucket.bucketName}/transform/`, assembleWith: lines ? tasks.AssembleWith.LINE : undefined },
    transformResources: { instanceCount: 1, instanceType: new InstanceType('m5.large') },
    integrationPattern: sfn.IntegrationPattern.RUN_JOB,
    resultPath: '$.transform',
  });
  const config = new tasks.SageMakerCreateEndpointConfig(root, 'EndpointConfig', {
    endpointConfigName: sfn.JsonPath.stringAt('$$.Execution.Name'),
    productionVariants: [{
      variantName: 'AllTraffic', modelName: sfn.JsonPath.stringAt('$$.Execution.Name'),
      instanceType: new InstanceType(hostingType), initialInstanceCount: 1,
    }],
    resultPath: '$.config',
  });
  const endpoint = new tasks.SageMakerCreateEndpoint(root, 'Endpoint', {
    endpointName: `${id.toLowerCase()}-endpoint`,
    endpointConfigName: sfn.JsonPath.stringAt('$$.Execution.Name'),
    resultPath: '$.endpoint',
  });
  new sfn.StateMachine(root, 'StateMachine', {
    definitionBody: sfn.DefinitionBody.fromChainable(train.next(model).next(transform).next(config).next(endpoint)),
    tracingEnabled: true,
    logs: { destination: new logs.LogGroup(root, 'Logs', { retention: logs.RetentionDays.ONE_YEAR }), level: sfn.LogLevel.ALL },
  });
}

const SCRIPT_CODE = path.join(__dirname, '..', 'test', 'code', 'fixtures', 'sklearn-code');

function byoaScriptPipeline(scope, id) {
  const byoa = require('../lib');
  new byoa.ByoaPipeline(scope, id, {
    image: byoa.AlgorithmImage.fromFramework(byoa.Framework.SKLEARN, '1.2-1'),
    training: {
      code: byoa.SourceCode.fromAsset(SCRIPT_CODE, { entryPoint: 'train.py' }),
      channels: [{ channelName: 'training', input: byoa.TrainingInput.fromAsset(path.join(iris, 'data/training')) }],
      hyperparameters: { max_leaf_nodes: 30 },
      instanceType: byoa.InstanceType.ML_M5_LARGE,
    },
    batchTransform: {
      input: byoa.TransformInput.fromAsset(path.join(iris, 'data/batch')),
      contentType: 'text/csv',
      splitType: byoa.SplitType.LINE,
      instanceType: byoa.InstanceType.ML_M5_LARGE,
    },
    endpoint: { instanceType: byoa.InstanceType.ML_M5_LARGE, initialInstanceCount: 1 },
  });
}

/** The scikit-learn lab by hand: the same requests as the library's script mode. */
function handWrittenScript(scope, id) {
  const s3assets = require('aws-cdk-lib/aws-s3-assets');
  // The registry accounts of sagemaker-scikit-learn (data only: what a hand-written app would paste in).
  const { IMAGE_TABLE } = require('../lib/image/private/image-table.generated');
  const root = new (require('constructs').Construct)(scope, id);
  const stack = cdk.Stack.of(root);
  const mapId = 'SklearnRegistry';
  const mapping = stack.node.tryFindChild(mapId) ?? new cdk.CfnMapping(stack, mapId, {
    mapping: Object.fromEntries(Object.entries(IMAGE_TABLE.registries[IMAGE_TABLE.images.sklearn.training.versions['1.2-1'].m]).map(([r, a]) => [r, { account: a }])),
  });
  const account = mapping.findInMap(cdk.Aws.REGION, 'account');
  const imageUri = cdk.Fn.join('', [account, '.dkr.ecr.', cdk.Aws.REGION, '.', cdk.Aws.URL_SUFFIX, '/sagemaker-scikit-learn:1.2-1-cpu-py3']);
  const role = new iam.Role(root, 'ExecutionRole', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
  role.addToPolicy(new iam.PolicyStatement({
    actions: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
    resources: [stack.formatArn({ service: 'ecr', account, resource: 'repository', resourceName: 'sagemaker-scikit-learn' })],
  }));
  role.addToPolicy(new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }));
  const bucket = new s3.Bucket(root, 'OutputBucket', {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL, enforceSSL: true, encryption: s3.BucketEncryption.S3_MANAGED,
    removalPolicy: cdk.RemovalPolicy.RETAIN,
  });
  for (const [name, dir] of [['training', 'data/training'], ['batch', 'data/batch']]) {
    new s3deploy.BucketDeployment(root, `${name}Deployment`, {
      sources: [s3deploy.Source.asset(path.join(iris, dir))], destinationBucket: bucket, destinationKeyPrefix: `inputs/${name}/`, prune: false,
    });
  }
  bucket.grantReadWrite(role);
  const code = new s3assets.Asset(root, 'Code', { path: process.env.BENCH_SOURCEDIR });
  code.grantRead(role);
  const container = tasks.DockerImage.fromRegistry(imageUri);
  const train = new tasks.SageMakerCreateTrainingJob(root, 'Train', {
    trainingJobName: sfn.JsonPath.stringAt('$$.Execution.Name'),
    role,
    algorithmSpecification: { trainingImage: container, trainingInputMode: tasks.InputMode.FILE },
    hyperparameters: {
      max_leaf_nodes: '30',
      sagemaker_program: '"train.py"',
      sagemaker_submit_directory: `"${code.s3ObjectUrl}"`,
      sagemaker_container_log_level: '20',
      sagemaker_job_name: sfn.JsonPath.format('"{}"', sfn.JsonPath.stringAt('$$.Execution.Name')),
      sagemaker_region: `"${cdk.Aws.REGION}"`,
    },
    inputDataConfig: [{
      channelName: 'training',
      dataSource: { s3DataSource: { s3Location: tasks.S3Location.fromBucket(bucket, 'inputs/training/'), s3DataType: tasks.S3DataType.S3_PREFIX } },
    }],
    outputDataConfig: { s3OutputLocation: tasks.S3Location.fromBucket(bucket, 'training/') },
    resourceConfig: { instanceCount: 1, instanceType: new InstanceType('m5.large'), volumeSize: cdk.Size.gibibytes(30) },
    resultPath: '$.training',
  });
  const model = new tasks.SageMakerCreateModel(root, 'Model', {
    modelName: sfn.JsonPath.stringAt('$$.Execution.Name'),
    role,
    primaryContainer: new tasks.ContainerDefinition({
      image: container,
      modelS3Location: tasks.S3Location.fromJsonExpression('$.training.ModelArtifacts.S3ModelArtifacts'),
      environmentVariables: sfn.TaskInput.fromObject({
        SAGEMAKER_PROGRAM: 'train.py',
        SAGEMAKER_SUBMIT_DIRECTORY: code.s3ObjectUrl,
        SAGEMAKER_CONTAINER_LOG_LEVEL: '20',
        SAGEMAKER_REGION: cdk.Aws.REGION,
      }),
    }),
    resultPath: '$.model',
  });
  transformAndHost(root, id, { role, bucket, train, model, lines: false, hostingType: 'm5.large' });
}

function handWritten(scope, id) {
  const root = new (require('constructs').Construct)(scope, id);
  const role = new iam.Role(root, 'ExecutionRole', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
  const bucket = new s3.Bucket(root, 'OutputBucket', {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL, enforceSSL: true, encryption: s3.BucketEncryption.S3_MANAGED,
    removalPolicy: cdk.RemovalPolicy.RETAIN,
  });
  const image = new ecrAssets.DockerImageAsset(root, 'Image', { directory: path.join(iris, 'container'), platform: ecrAssets.Platform.LINUX_AMD64 });
  image.repository.grantPull(role);
  for (const [name, dir] of [['training', 'data/training'], ['batch', 'data/batch']]) {
    new s3deploy.BucketDeployment(root, `${name}Deployment`, {
      sources: [s3deploy.Source.asset(path.join(iris, dir))], destinationBucket: bucket, destinationKeyPrefix: `inputs/${name}/`, prune: false,
    });
  }
  bucket.grantReadWrite(role);
  const container = tasks.DockerImage.fromEcrRepository(image.repository, image.imageTag);
  const train = new tasks.SageMakerCreateTrainingJob(root, 'Train', {
    trainingJobName: sfn.JsonPath.stringAt('$$.Execution.Name'),
    role,
    algorithmSpecification: {
      trainingImage: container,
      trainingInputMode: tasks.InputMode.FILE,
      metricDefinitions: [{ name: 'train:accuracy', regex: 'accuracy=([0-9\\.]+)' }],
    },
    hyperparameters: { max_leaf_nodes: '5' },
    inputDataConfig: [{
      channelName: 'training',
      contentType: 'text/csv',
      dataSource: { s3DataSource: { s3Location: tasks.S3Location.fromBucket(bucket, 'inputs/training/'), s3DataType: tasks.S3DataType.S3_PREFIX } },
    }],
    outputDataConfig: { s3OutputLocation: tasks.S3Location.fromBucket(bucket, 'training/') },
    resourceConfig: { instanceCount: 1, instanceType: new InstanceType('m5.large'), volumeSize: cdk.Size.gibibytes(30) },
    stoppingCondition: { maxRuntime: cdk.Duration.hours(1) },
    resultPath: '$.training',
  });
  const model = new tasks.SageMakerCreateModel(root, 'Model', {
    modelName: sfn.JsonPath.stringAt('$$.Execution.Name'),
    role,
    primaryContainer: new tasks.ContainerDefinition({
      image: container,
      modelS3Location: tasks.S3Location.fromJsonExpression('$.training.ModelArtifacts.S3ModelArtifacts'),
    }),
    resultPath: '$.model',
  });
  transformAndHost(root, id, { role, bucket, train, model, lines: true, hostingType: 't2.medium' });
}

const app = new cdk.App();
const [irisBuild, scriptBuild] = variant === 'byoa' ? [byoaPipeline, byoaScriptPipeline] : [handWritten, handWrittenScript];
let stack;
for (let i = 0; i < count; i++) {
  if (i % PIPELINES_PER_STACK === 0) stack = new cdk.Stack(app, `Bench${i / PIPELINES_PER_STACK}`);
  // With MIX=script, every second pipeline is the scikit-learn lab (one pipeline alone: the lab).
  const build = mix === 'script' && (count === 1 || i % 2 === 1) ? scriptBuild : irisBuild;
  build(stack, `Pipeline${i}`);
}
app.synth();
// The app's own peak memory, for bench/synth.ts (GNU time sees the CLI too).
if (process.env.BENCH_APP_RSS_FILE) {
  require('fs').writeFileSync(process.env.BENCH_APP_RSS_FILE, String(process.resourceUsage().maxRSS));
}
// The time the app's main thread spent on a CPU (Linux: the first field of
// /proc/thread-self/schedstat, in ns): the app's own work, without its
// background threads (compilers, GC helpers) and without the time it waited
// for a core, so less moved by whatever else the machine runs.
if (process.env.BENCH_APP_CPU_FILE) {
  const fs = require('fs');
  if (fs.existsSync('/proc/thread-self/schedstat')) {
    const ns = Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
    fs.writeFileSync(process.env.BENCH_APP_CPU_FILE, String(ns / 1e9));
  }
}
