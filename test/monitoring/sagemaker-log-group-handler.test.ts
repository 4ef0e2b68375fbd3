import { EventEmitter } from 'events';
import * as fs from 'fs';
// A default import is the real module object (`import * as` would be an
// esModuleInterop copy), so spying on it also intercepts the entrypoint's own
// `require("https").request`.
import https from 'https';
import * as path from 'path';
import {
  AccessDeniedException,
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  ResourceAlreadyExistsException,
} from '@aws-sdk/client-cloudwatch-logs';
import { App, Stack } from 'aws-cdk-lib';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { SageMakerLogGroup } from '../../src/monitoring';
import { ENSURE_LOG_GROUPS_HANDLER_DIR } from '../../src/monitoring/private/ensured-log-groups';

/*
 * Runs the code the stack deploys for `Custom::SageMakerLogGroups` (this
 * library's handler behind aws-cdk-lib's custom resource entrypoint, which
 * answers CloudFormation) against the requests CloudFormation sends for the
 * synthesized resource. CloudWatch Logs is `aws-sdk-client-mock`ed (an
 * account where a group exists, one where it does not, one where the role
 * may not create it), and the response the entrypoint PUTs to the pre-signed
 * `ResponseURL` is captured from `https.request`: nothing leaves the machine.
 */

const ENTRYPOINT_PATH = path.join(path.dirname(require.resolve('aws-cdk-lib/package.json')),
  'custom-resource-handlers', 'dist', 'core', 'nodejs-entrypoint-handler', 'index.js');
const HANDLER_PATH = path.join(ENSURE_LOG_GROUPS_HANDLER_DIR, 'index.js');

const ACCOUNT = '111111111111';
const REGION = 'eu-west-1';
const STACK_ID = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/S/5b6f2a40-8e1c-11ef-9a5e-0a1b2c3d4e5f`;
const PROVIDER_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:S-SageMakerLogGroupsProvider-AbCdEf123456`;
const RESPONSE_HOST = `cloudformation-custom-resource-response-euwest1.s3.${REGION}.amazonaws.com`;
const TRAINING = '/aws/sagemaker/TrainingJobs';

type RequestType = 'Create' | 'Update' | 'Delete';
type Properties = { [key: string]: string | string[] };

/** The event CloudFormation sends to a custom resource's Lambda. */
interface CustomResourceEvent {
  readonly RequestType: RequestType;
  readonly ServiceToken: string;
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly ResourceType: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: Properties;
  readonly OldResourceProperties?: Properties;
}

/** What the entrypoint PUT to the ResponseURL. */
interface CapturedResponse {
  readonly hostname: string;
  readonly path: string;
  readonly method: string;
  readonly body: {
    readonly Status: 'SUCCESS' | 'FAILED';
    readonly Reason: string;
    readonly PhysicalResourceId: string;
    readonly StackId: string;
    readonly RequestId: string;
    readonly LogicalResourceId: string;
  };
}

type Handler = (event: CustomResourceEvent, context: object) => Promise<void>;

interface SynthesizedResource {
  readonly logicalId: string;
  readonly resourceType: string;
  /** The resource's `Properties`, intrinsics unresolved. */
  readonly properties: { [key: string]: unknown };
}

function newStack(): Stack {
  return new Stack(new App(), 'S', { env: { account: ACCOUNT, region: REGION } });
}

/** Synthesizes `stack` and returns its only `Custom::SageMakerLogGroups` resource. */
function synthesizedResource(stack: Stack): SynthesizedResource {
  const template = App.of(stack)!.synth().getStackByName(stack.stackName).template;
  const found = Object.entries(template.Resources as { [id: string]: any }).filter(([, r]) => r.Type === 'Custom::SageMakerLogGroups');
  expect(found).toHaveLength(1);
  const [logicalId, resource] = found[0];
  return { logicalId, resourceType: resource.Type, properties: resource.Properties };
}

/**
 * Resolves what CloudFormation resolves before it invokes a custom resource:
 * `Ref`, `Fn::GetAtt` (from `attributes`, keyed `Logical.Attr` or `Logical`
 * for Ref) and `Fn::Join`. Like CloudFormation, it passes scalars as strings
 * and lists as lists of strings. Anything else is a test bug: it throws.
 */
function resolveProperties(properties: { [key: string]: unknown }, attributes: { [key: string]: string }): Properties {
  const lookup = (key: string): string => {
    const v = attributes[key];
    if (v === undefined) throw new Error(`no value for '${key}' given to resolveProperties`);
    return v;
  };
  const resolve = (value: unknown): string => {
    if (typeof value === 'string') return value;
    if (typeof value === 'boolean' || typeof value === 'number') return String(value);
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const entries = Object.entries(value);
      if (entries.length === 1) {
        const [fn, arg] = entries[0] as [string, any];
        if (fn === 'Ref') return lookup(arg);
        if (fn === 'Fn::GetAtt') return lookup(`${arg[0]}.${arg[1]}`);
        if (fn === 'Fn::Join') return (arg[1] as unknown[]).map(resolve).join(arg[0]);
      }
    }
    throw new Error(`cannot resolve ${JSON.stringify(value)} in a custom resource property`);
  };
  return Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, Array.isArray(v) ? v.map(resolve) : resolve(v)]));
}

/** The provider Lambda's ARN (the ServiceToken), which every resolution needs. */
function providerAttributes(resource: SynthesizedResource): { [key: string]: string } {
  const token = resource.properties.ServiceToken as { 'Fn::GetAtt': [string, string] };
  return { [`${token['Fn::GetAtt'][0]}.${token['Fn::GetAtt'][1]}`]: PROVIDER_ARN };
}

let requestCounter = 0;

/** A CloudFormation custom resource request, as CloudFormation builds it. */
function cfnEvent(
  resource: SynthesizedResource,
  requestType: RequestType,
  properties: Properties,
  extra: { physicalResourceId?: string; oldProperties?: Properties } = {},
): CustomResourceEvent {
  requestCounter++;
  const requestId = `4d9f3a5e-0000-4000-8000-${String(requestCounter).padStart(12, '0')}`;
  const encodedStack = encodeURIComponent(STACK_ID);
  return {
    RequestType: requestType,
    ServiceToken: String(properties.ServiceToken),
    ResponseURL: `https://${RESPONSE_HOST}/${encodedStack}%7C${resource.logicalId}%7C${requestId}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20250101T000000Z&X-Amz-Expires=7200&X-Amz-Signature=abc123`,
    StackId: STACK_ID,
    RequestId: requestId,
    LogicalResourceId: resource.logicalId,
    ResourceType: resource.resourceType,
    ...(extra.physicalResourceId !== undefined ? { PhysicalResourceId: extra.physicalResourceId } : {}),
    ResourceProperties: { ...properties },
    ...(extra.oldProperties !== undefined ? { OldResourceProperties: { ...extra.oldProperties } } : {}),
  };
}

const lambdaContext = {
  functionName: 'S-SageMakerLogGroupsProvider-AbCdEf123456',
  logGroupName: '/aws/lambda/S-SageMakerLogGroupsProvider-AbCdEf123456',
  logStreamName: '2025/01/01/[$LATEST]0123456789abcdef0123456789abcdef',
  awsRequestId: 'f00dfeed-0000-4000-8000-000000000000',
  getRemainingTimeInMillis: () => 300_000,
};

const alreadyExists = () => new ResourceAlreadyExistsException({ message: 'The specified log group already exists', $metadata: { httpStatusCode: 400 } });

describe('Custom::SageMakerLogGroups with the code the stack deploys', () => {
  const cwl = mockClient(CloudWatchLogsClient);
  let entrypoint: { handler: Handler; external: { userHandlerIndex: string; log: (...args: unknown[]) => void } };
  let responses: CapturedResponse[];
  /** Every https request the code makes: only the CloudFormation response may appear. */
  let httpsHosts: string[];
  let savedRegion: string | undefined;
  let savedUserHandler: string;

  beforeAll(() => {
    // The Lambda runtime sets AWS_REGION; the SDK client reads it.
    savedRegion = process.env.AWS_REGION;
    process.env.AWS_REGION = REGION;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    entrypoint = require(ENTRYPOINT_PATH);
    // The entrypoint loads the handler staged next to it ("./index"): here, the package's own file.
    savedUserHandler = entrypoint.external.userHandlerIndex;
    entrypoint.external.userHandlerIndex = HANDLER_PATH;
  });

  afterAll(() => {
    entrypoint.external.userHandlerIndex = savedUserHandler;
    if (savedRegion === undefined) delete process.env.AWS_REGION;
    else process.env.AWS_REGION = savedRegion;
    cwl.restore();
  });

  beforeEach(() => {
    cwl.reset();
    responses = [];
    httpsHosts = [];
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    jest.spyOn(entrypoint.external, 'log').mockImplementation(() => undefined);
    jest.spyOn(https, 'request').mockImplementation(((options: https.RequestOptions, callback?: (res: unknown) => void) => {
      httpsHosts.push(String(options.hostname));
      const chunks: string[] = [];
      const request = new EventEmitter() as EventEmitter & { write: (c: string) => boolean; end: () => void };
      request.write = (chunk: string) => {
        chunks.push(chunk);
        return true;
      };
      request.end = () => {
        responses.push({ hostname: String(options.hostname), path: String(options.path), method: String(options.method), body: JSON.parse(chunks.join('')) });
        const response = new EventEmitter() as EventEmitter & { statusCode: number; resume: () => void };
        response.statusCode = 200;
        response.resume = () => undefined;
        setImmediate(() => callback?.(response));
      };
      return request;
    }) as unknown as typeof https.request);
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  /** Invokes the deployed code with `event`; returns the one response it sent to CloudFormation. */
  async function invoke(event: CustomResourceEvent): Promise<CapturedResponse['body']> {
    const before = responses.length;
    await entrypoint.handler(event, lambdaContext);
    expect(responses.length - before).toBe(1);
    const response = responses[responses.length - 1];
    // The response goes to the pre-signed S3 URL CloudFormation gave, as a PUT.
    const url = new URL(event.ResponseURL);
    expect(response).toMatchObject({ hostname: url.hostname, path: `${url.pathname}${url.search}`, method: 'PUT' });
    expect(response.body).toMatchObject({ StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId });
    return response.body;
  }

  function createdGroups(): string[] {
    return cwl.commandCalls(CreateLogGroupCommand).map((call) => String(call.args[0].input.logGroupName));
  }

  /** A stack with the training group and the groups of two endpoints, synthesized and resolved as CloudFormation would. */
  function threeGroups() {
    const stack = newStack();
    SageMakerLogGroup.forTrainingJobs(stack);
    SageMakerLogGroup.forEndpoint(stack, 'churn');
    SageMakerLogGroup.forEndpoint(stack, 'fraud');
    const resource = synthesizedResource(stack);
    return { resource, properties: resolveProperties(resource.properties, providerAttributes(resource)) };
  }

  test('the code run here is the code the stack deploys', () => {
    // GIVEN
    const stack = newStack();
    SageMakerLogGroup.forTrainingJobs(stack);

    // WHEN
    const assembly = App.of(stack)!.synth();
    const template = assembly.getStackByName(stack.stackName).template;
    const functions = Object.values(template.Resources as { [id: string]: any }).filter((r) => r.Type === 'AWS::Lambda::Function');

    // THEN
    expect(functions).toHaveLength(1);
    const [fn] = functions;
    expect(fn.Properties.Handler).toBe('__entrypoint__.handler');
    const staged = path.join(assembly.directory, `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`);
    expect(fs.readdirSync(staged).sort()).toEqual(['__entrypoint__.js', 'index.js']);
    expect(fs.readFileSync(path.join(staged, '__entrypoint__.js'))).toEqual(fs.readFileSync(ENTRYPOINT_PATH));
    expect(fs.readFileSync(path.join(staged, 'index.js'))).toEqual(fs.readFileSync(HANDLER_PATH));
  });

  test('Create, account without the groups: creates each once, one at a time, and reports SUCCESS', async () => {
    // GIVEN
    const { resource, properties } = threeGroups();
    cwl.on(CreateLogGroupCommand).resolves({ $metadata: { httpStatusCode: 200 } });

    // WHEN
    const response = await invoke(cfnEvent(resource, 'Create', properties));

    // THEN
    expect(createdGroups()).toEqual([TRAINING, '/aws/sagemaker/Endpoints/churn', '/aws/sagemaker/Endpoints/fraud']);
    expect(response.Status).toBe('SUCCESS');
    expect(response.PhysicalResourceId).toBe('sagemaker-log-groups');
    expect(httpsHosts).toEqual([RESPONSE_HOST]);
  });

  test('Create, account where some groups exist: ResourceAlreadyExistsException leaves them alone and still reports SUCCESS', async () => {
    // GIVEN
    const { resource, properties } = threeGroups();
    cwl.on(CreateLogGroupCommand).resolves({ $metadata: { httpStatusCode: 200 } });
    cwl.on(CreateLogGroupCommand, { logGroupName: TRAINING }).rejects(alreadyExists());

    // WHEN
    const response = await invoke(cfnEvent(resource, 'Create', properties));

    // THEN every group is asked for, and the call for the existing one changed nothing
    expect(createdGroups()).toEqual([TRAINING, '/aws/sagemaker/Endpoints/churn', '/aws/sagemaker/Endpoints/fraud']);
    expect(response.Status).toBe('SUCCESS');
  });

  test('Create, any other error (AccessDeniedException) reports FAILED, naming the group, and stops there', async () => {
    // GIVEN
    const { resource, properties } = threeGroups();
    const message = `User: arn:aws:sts::${ACCOUNT}:assumed-role/S-SageMakerLogGroupsProvider is not authorized to perform: logs:CreateLogGroup`;
    cwl.on(CreateLogGroupCommand).resolves({ $metadata: { httpStatusCode: 200 } });
    cwl.on(CreateLogGroupCommand, { logGroupName: '/aws/sagemaker/Endpoints/churn' }).rejects(new AccessDeniedException({ message, $metadata: { httpStatusCode: 400 } }));

    // WHEN
    const response = await invoke(cfnEvent(resource, 'Create', properties));

    // THEN
    expect(createdGroups()).toEqual([TRAINING, '/aws/sagemaker/Endpoints/churn']);
    expect(response.Status).toBe('FAILED');
    // (the entrypoint reports the error with its stack trace)
    expect(response.Reason.split('\n')[0]).toBe(`Error: cannot create the log group /aws/sagemaker/Endpoints/churn: AccessDeniedException: ${message}`);
  });

  test('Delete makes no CloudWatch Logs call: the groups survive stack deletion', async () => {
    // GIVEN
    const { resource, properties } = threeGroups();

    // WHEN
    const response = await invoke(cfnEvent(resource, 'Delete', properties, { physicalResourceId: 'sagemaker-log-groups' }));

    // THEN
    expect(cwl.calls()).toHaveLength(0);
    expect(response.Status).toBe('SUCCESS');
    expect(response.PhysicalResourceId).toBe('sagemaker-log-groups');
  });

  test('Update for a new endpoint (or a renamed one) ensures every group again, keeps the physical ID and deletes nothing', async () => {
    // GIVEN a group that follows an endpoint's (token) name, renamed from churn-v1 to churn-v2
    const stack = newStack();
    SageMakerLogGroup.forTrainingJobs(stack);
    const endpoint = new sagemaker.CfnEndpoint(stack, 'Endpoint', { endpointConfigName: 'config' });
    SageMakerLogGroup.forEndpoint(stack, endpoint.attrEndpointName);
    const resource = synthesizedResource(stack);
    const endpointAttr = `${stack.getLogicalId(endpoint)}.EndpointName`;
    const oldProperties = resolveProperties(resource.properties, { ...providerAttributes(resource), [endpointAttr]: 'churn-v1' });
    const newProperties = resolveProperties(resource.properties, { ...providerAttributes(resource), [endpointAttr]: 'churn-v2' });
    cwl.on(CreateLogGroupCommand).resolves({ $metadata: { httpStatusCode: 200 } });
    cwl.on(CreateLogGroupCommand, { logGroupName: TRAINING }).rejects(alreadyExists());

    // WHEN
    const update = await invoke(cfnEvent(resource, 'Update', newProperties, { physicalResourceId: 'sagemaker-log-groups', oldProperties }));

    // THEN the same physical ID (no replacement, so no clean-up Delete), and no call but CreateLogGroup
    expect(update.Status).toBe('SUCCESS');
    expect(update.PhysicalResourceId).toBe('sagemaker-log-groups');
    expect(createdGroups()).toEqual([TRAINING, '/aws/sagemaker/Endpoints/churn-v2']);
    expect(cwl.calls()).toHaveLength(2);
    expect(httpsHosts).toEqual([RESPONSE_HOST]);
  });
});
