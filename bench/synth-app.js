// A CDK app for the synth benchmark: N iris pipelines, written either with
// this library (`byoa`) or by hand with aws-cdk-lib's stepfunctions-tasks
// SageMaker tasks (`baseline`), with the same resources: an execution role,
// an output bucket, the inputs extracted into it, a state machine that trains,
// creates the model, runs a batch transform and creates an endpoint.
//   node bench/synth-app.js byoa|baseline COUNT OUTDIR
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

const [variant, countText] = process.argv.slice(2);
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
  const transform = new tasks.SageMakerCreateTransformJob(root, 'Transform', {
    transformJobName: sfn.JsonPath.stringAt('$$.Execution.Name'),
    modelName: sfn.JsonPath.stringAt('$$.Execution.Name'),
    role,
    batchStrategy: tasks.BatchStrategy.MULTI_RECORD,
    transformInput: {
      transformDataSource: { s3DataSource: { s3Uri: `s3://${bucket.bucketName}/inputs/batch/`, s3DataType: tasks.S3DataType.S3_PREFIX } },
      contentType: 'text/csv',
      splitType: tasks.SplitType.LINE,
    },
    transformOutput: { s3OutputPath: `s3://${bucket.bucketName}/transform/`, assembleWith: tasks.AssembleWith.LINE },
    transformResources: { instanceCount: 1, instanceType: new InstanceType('m5.large') },
    integrationPattern: sfn.IntegrationPattern.RUN_JOB,
    resultPath: '$.transform',
  });
  const config = new tasks.SageMakerCreateEndpointConfig(root, 'EndpointConfig', {
    endpointConfigName: sfn.JsonPath.stringAt('$$.Execution.Name'),
    productionVariants: [{
      variantName: 'AllTraffic', modelName: sfn.JsonPath.stringAt('$$.Execution.Name'),
      instanceType: new InstanceType('t2.medium'), initialInstanceCount: 1,
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

const app = new cdk.App();
const build = variant === 'byoa' ? byoaPipeline : handWritten;
let stack;
for (let i = 0; i < count; i++) {
  if (i % PIPELINES_PER_STACK === 0) stack = new cdk.Stack(app, `Bench${i / PIPELINES_PER_STACK}`);
  build(stack, `Pipeline${i}`);
}
app.synth();
// The app's own peak memory, for bench/synth.ts (GNU time sees the CLI too).
if (process.env.BENCH_APP_RSS_FILE) {
  require('fs').writeFileSync(process.env.BENCH_APP_RSS_FILE, String(process.resourceUsage().maxRSS));
}
