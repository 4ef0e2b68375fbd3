import { EventEmitter } from 'events';
import * as fs from 'fs';
// A default import is the real module object (`import * as` would be an
// esModuleInterop copy), so spying on it also intercepts the handler's own
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

/*
 * Runs aws-cdk-lib's OWN AwsCustomResource Lambda handler (the code the
 * stack deploys) against the exact requests CloudFormation sends for the
 * synthesized `Custom::SageMakerLogGroup` resource. CloudWatch Logs is
 * `aws-sdk-client-mock`ed (an account where the group exists, one where it
 * does not, one where the role may not create it), and the response the
 * handler PUTs to the pre-signed `ResponseURL` is captured from
 * `https.request`: nothing leaves the machine.
 */

const HANDLER_DIR = path.dirname(require.resolve('aws-cdk-lib/package.json'));
const HANDLER_PATH = path.join(HANDLER_DIR, 'custom-resource-handlers', 'dist', 'custom-resources', 'aws-custom-resource-handler', 'index.js');

const ACCOUNT = '111111111111';
const REGION = 'eu-west-1';
const STACK_ID = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/S/5b6f2a40-8e1c-11ef-9a5e-0a1b2c3d4e5f`;
const PROVIDER_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:S-AWS679f53fac002430cb0da5b7982bd2287-AbCdEf123456`;
const RESPONSE_HOST = `cloudformation-custom-resource-response-euwest1.s3.${REGION}.amazonaws.com`;

type RequestType = 'Create' | 'Update' | 'Delete';

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
  readonly ResourceProperties: { [key: string]: string };
  readonly OldResourceProperties?: { [key: string]: string };
}

/** What the handler PUT to the ResponseURL. */
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
    readonly Data: { [key: string]: unknown };
  };
}

type Handler = (event: CustomResourceEvent, context: object) => Promise<void>;

interface SynthesizedResource {
  readonly logicalId: string;
  readonly resourceType: string;
  /** The resource's `Properties`, intrinsics unresolved. */
  readonly properties: { [key: string]: unknown };
}

/** Synthesizes `stack` and returns its only `Custom::SageMakerLogGroup` resource. */
function synthesizedLogGroupResource(stack: Stack): SynthesizedResource {
  const assembly = App.of(stack)!.synth();
  const template = assembly.getStackByName(stack.stackName).template;
  const found = Object.entries(template.Resources as { [id: string]: any })
    .filter(([, r]) => r.Type === 'Custom::SageMakerLogGroup');
  expect(found).toHaveLength(1);
  const [logicalId, resource] = found[0];
  return { logicalId, resourceType: resource.Type, properties: resource.Properties };
}

/**
 * Resolves what CloudFormation resolves before it invokes a custom resource:
 * `Ref`, `Fn::GetAtt` (from `attributes`, keyed `Logical.Attr` or `Logical`
 * for Ref) and `Fn::Join`. Like CloudFormation, it passes every scalar
 * property value as a string. Anything else is a test bug: it throws.
 */
function resolveProperties(properties: { [key: string]: unknown }, attributes: { [key: string]: string }): { [key: string]: string } {
  const resolve = (value: unknown): string => {
    if (typeof value === 'string') return value;
    if (typeof value === 'boolean' || typeof value === 'number') return String(value);
    if (value && typeof value === 'object') {
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
  const lookup = (key: string): string => {
    const v = attributes[key];
    if (v === undefined) throw new Error(`no value for '${key}' given to resolveProperties`);
    return v;
  };
  return Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, resolve(v)]));
}

/** The attributes every resolution needs: the provider Lambda's ARN (the ServiceToken). */
function providerAttributes(resource: SynthesizedResource): { [key: string]: string } {
  const token = resource.properties.ServiceToken as { 'Fn::GetAtt': [string, string] };
  return { [`${token['Fn::GetAtt'][0]}.${token['Fn::GetAtt'][1]}`]: PROVIDER_ARN };
}

let requestCounter = 0;

/** A CloudFormation custom resource request, as CloudFormation builds it. */
function cfnEvent(
  resource: SynthesizedResource,
  requestType: RequestType,
  properties: { [key: string]: string },
  extra: { physicalResourceId?: string; oldProperties?: { [key: string]: string } } = {},
): CustomResourceEvent {
  requestCounter++;
  const requestId = `4d9f3a5e-0000-4000-8000-${String(requestCounter).padStart(12, '0')}`;
  const encodedStack = encodeURIComponent(STACK_ID);
  return {
    RequestType: requestType,
    ServiceToken: properties.ServiceToken,
    ResponseURL: `https://${RESPONSE_HOST}/${encodedStack}%7C${resource.logicalId}%7C${requestId}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20250101T000000Z&X-Amz-Expires=7200&X-Amz-Signature=abc123`,
    StackId: STACK_ID,
    RequestId: requestId,
    LogicalResourceId: resource.logicalId,
    ResourceType: resource.resourceType,
    ...(extra.physicalResourceId !== undefined ? { PhysicalResourceId: extra.physicalResourceId } : {}),
    // The handler rewrites ResourceProperties in place: give it its own copy.
    ResourceProperties: { ...properties },
    ...(extra.oldProperties !== undefined ? { OldResourceProperties: { ...extra.oldProperties } } : {}),
  };
}

const lambdaContext = {
  functionName: 'S-AWS679f53fac002430cb0da5b7982bd2287-AbCdEf123456',
  logGroupName: '/aws/lambda/S-AWS679f53fac002430cb0da5b7982bd2287-AbCdEf123456',
  logStreamName: '2025/01/01/[$LATEST]0123456789abcdef0123456789abcdef',
  awsRequestId: 'f00dfeed-0000-4000-8000-000000000000',
  getRemainingTimeInMillis: () => 120_000,
};

describe('SageMakerLogGroup with the real AwsCustomResource handler', () => {
  const cwl = mockClient(CloudWatchLogsClient);
  let handler: Handler;
  let responses: CapturedResponse[];
  /** Every https request the handler (or anything it loads) makes: only the CloudFormation response may appear. */
  let httpsHosts: string[];
  let savedRegion: string | undefined;

  beforeAll(() => {
    // The Lambda runtime sets AWS_REGION; the handler reads it for the client's region.
    savedRegion = process.env.AWS_REGION;
    process.env.AWS_REGION = REGION;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = require(HANDLER_PATH).handler;
  });

  afterAll(() => {
    if (savedRegion === undefined) delete process.env.AWS_REGION;
    else process.env.AWS_REGION = savedRegion;
    cwl.restore();
  });

  beforeEach(() => {
    cwl.reset();
    responses = [];
    httpsHosts = [];
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    jest.spyOn(https, 'request').mockImplementation(((options: https.RequestOptions, callback?: (res: unknown) => void) => {
      httpsHosts.push(String(options.hostname));
      const chunks: string[] = [];
      const request = new EventEmitter() as EventEmitter & { write: (c: string) => boolean; end: () => void };
      request.write = (chunk: string) => {
        chunks.push(chunk);
        return true;
      };
      request.end = () => {
        responses.push({
          hostname: String(options.hostname),
          path: String(options.path),
          method: String(options.method),
          body: JSON.parse(chunks.join('')),
        });
        const response = new EventEmitter() as EventEmitter & { statusCode: number };
        response.statusCode = 200;
        setImmediate(() => callback?.(response));
      };
      return request;
    }) as unknown as typeof https.request);
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  /** Invokes the handler with `event`; returns the one response it sent to CloudFormation. */
  async function invoke(event: CustomResourceEvent): Promise<CapturedResponse['body']> {
    const before = responses.length;
    await handler(event, lambdaContext);
    expect(responses.length - before).toBe(1);
    const response = responses[responses.length - 1];
    // The response goes to the pre-signed S3 URL CloudFormation gave, as a PUT.
    const url = new URL(event.ResponseURL);
    expect(response).toMatchObject({ hostname: url.hostname, path: `${url.pathname}${url.search}`, method: 'PUT' });
    expect(response.body).toMatchObject({
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
    });
    return response.body;
  }

  function logsCalls() {
    return cwl.calls().map((call) => ({
      command: call.args[0].constructor.name,
      input: call.args[0].input as { logGroupName?: string },
    }));
  }

  function newStack(): Stack {
    return new Stack(new App(), 'S', { env: { account: ACCOUNT, region: REGION } });
  }

  /**
   * The log group of an endpoint whose (token) name changes from churn-v1 to
   * churn-v2: the synthesized resource and its properties before and after.
   */
  function renamedEndpointGroup() {
    const stack = newStack();
    const endpoint = new sagemaker.CfnEndpoint(stack, 'Endpoint', { endpointConfigName: 'config' });
    SageMakerLogGroup.forEndpoint(stack, endpoint.attrEndpointName);
    const resource = synthesizedLogGroupResource(stack);
    const endpointAttr = `${stack.getLogicalId(endpoint)}.EndpointName`;
    return {
      resource,
      oldProperties: resolveProperties(resource.properties, { ...providerAttributes(resource), [endpointAttr]: 'churn-v1' }),
      newProperties: resolveProperties(resource.properties, { ...providerAttributes(resource), [endpointAttr]: 'churn-v2' }),
    };
  }

  const literalGroups: Array<[string, (stack: Stack) => SageMakerLogGroup, string]> = [
    ['the training jobs group', (s) => SageMakerLogGroup.forTrainingJobs(s), '/aws/sagemaker/TrainingJobs'],
    ['the transform jobs group', (s) => SageMakerLogGroup.forTransformJobs(s), '/aws/sagemaker/TransformJobs'],
    ['an endpoint group', (s) => SageMakerLogGroup.forEndpoint(s, 'churn-endpoint'), '/aws/sagemaker/Endpoints/churn-endpoint'],
  ];

  test('the handler run here is the one the stack deploys', () => {
    // GIVEN
    const stack = newStack();
    SageMakerLogGroup.forTrainingJobs(stack);

    // WHEN
    const assembly = App.of(stack)!.synth();
    const artifact = assembly.getStackByName(stack.stackName);
    const functions = Object.values(artifact.template.Resources as { [id: string]: any })
      .filter((r) => r.Type === 'AWS::Lambda::Function');

    // THEN
    expect(functions).toHaveLength(1);
    const [fn] = functions;
    expect(fn.Properties.Handler).toBe('index.handler');
    const assetHash = String(fn.Properties.Code.S3Key).replace(/\.zip$/, '');
    const staged = path.join(assembly.directory, `asset.${assetHash}`, 'index.js');
    expect(fs.readFileSync(staged)).toEqual(fs.readFileSync(HANDLER_PATH));
  });

  test.each(literalGroups)('Create, account WITHOUT %s: creates it once and reports SUCCESS', async (_what, ensure, logGroupName) => {
    // GIVEN
    const stack = newStack();
    ensure(stack);
    const resource = synthesizedLogGroupResource(stack);
    const properties = resolveProperties(resource.properties, providerAttributes(resource));
    cwl.on(CreateLogGroupCommand).resolves({ $metadata: { httpStatusCode: 200 } });

    // WHEN
    const response = await invoke(cfnEvent(resource, 'Create', properties));

    // THEN
    expect(logsCalls()).toEqual([{ command: 'CreateLogGroupCommand', input: { logGroupName } }]);
    expect(response.Status).toBe('SUCCESS');
    expect(response.PhysicalResourceId).toBe(logGroupName);
    expect(httpsHosts).toEqual([RESPONSE_HOST]);
  });

  test.each(literalGroups)('Create, account WITH %s: ResourceAlreadyExistsException still reports SUCCESS', async (_what, ensure, logGroupName) => {
    // GIVEN
    const stack = newStack();
    ensure(stack);
    const resource = synthesizedLogGroupResource(stack);
    const properties = resolveProperties(resource.properties, providerAttributes(resource));
    cwl.on(CreateLogGroupCommand).rejects(new ResourceAlreadyExistsException({
      message: 'The specified log group already exists',
      $metadata: { httpStatusCode: 400 },
    }));

    // WHEN
    const response = await invoke(cfnEvent(resource, 'Create', properties));

    // THEN
    expect(logsCalls()).toEqual([{ command: 'CreateLogGroupCommand', input: { logGroupName } }]);
    expect(response.Status).toBe('SUCCESS');
    expect(response.PhysicalResourceId).toBe(logGroupName);
  });

  test('Create, any other error (AccessDeniedException) reports FAILED with its message', async () => {
    // GIVEN
    const stack = newStack();
    SageMakerLogGroup.forTrainingJobs(stack);
    const resource = synthesizedLogGroupResource(stack);
    const properties = resolveProperties(resource.properties, providerAttributes(resource));
    const message = `User: arn:aws:sts::${ACCOUNT}:assumed-role/S-AWS679f53fac-ServiceRole/S-AWS679f53fac is not authorized to perform: logs:CreateLogGroup on resource: arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/sagemaker/TrainingJobs:log-stream:`;
    cwl.on(CreateLogGroupCommand).rejects(new AccessDeniedException({ message, $metadata: { httpStatusCode: 400 } }));

    // WHEN
    const response = await invoke(cfnEvent(resource, 'Create', properties));

    // THEN
    expect(logsCalls()).toEqual([{ command: 'CreateLogGroupCommand', input: { logGroupName: '/aws/sagemaker/TrainingJobs' } }]);
    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toBe(message);
  });

  test.each(literalGroups)('Delete of %s makes no CloudWatch Logs call: the group survives stack deletion', async (_what, ensure, logGroupName) => {
    // GIVEN
    const stack = newStack();
    ensure(stack);
    const resource = synthesizedLogGroupResource(stack);
    const properties = resolveProperties(resource.properties, providerAttributes(resource));

    // WHEN
    const response = await invoke(cfnEvent(resource, 'Delete', properties, { physicalResourceId: logGroupName }));

    // THEN
    expect(logsCalls()).toEqual([]);
    expect(response.Status).toBe('SUCCESS');
    expect(response.PhysicalResourceId).toBe(logGroupName);
  });

  test('Update to a new endpoint name creates the new group and never deletes the old one', async () => {
    // GIVEN a log group that follows an endpoint's (token) name: replacing the
    // endpoint changes the name under the same logical ID, so CloudFormation
    // sends an Update, then (the physical ID changed) a clean-up Delete of the old one.
    const { resource, oldProperties, newProperties } = renamedEndpointGroup();
    cwl.on(CreateLogGroupCommand).resolves({ $metadata: { httpStatusCode: 200 } });

    // WHEN
    const update = await invoke(cfnEvent(resource, 'Update', newProperties, {
      physicalResourceId: '/aws/sagemaker/Endpoints/churn-v1',
      oldProperties,
    }));
    const cleanup = await invoke(cfnEvent(resource, 'Delete', oldProperties, {
      physicalResourceId: '/aws/sagemaker/Endpoints/churn-v1',
    }));

    // THEN
    expect(update.Status).toBe('SUCCESS');
    expect(update.PhysicalResourceId).toBe('/aws/sagemaker/Endpoints/churn-v2');
    expect(cleanup.Status).toBe('SUCCESS');
    expect(logsCalls()).toEqual([{ command: 'CreateLogGroupCommand', input: { logGroupName: '/aws/sagemaker/Endpoints/churn-v2' } }]);
    expect(httpsHosts).toEqual([RESPONSE_HOST, RESPONSE_HOST]);
  });

  test('Update when the new endpoint group already exists still reports SUCCESS', async () => {
    // GIVEN
    const { resource, oldProperties, newProperties } = renamedEndpointGroup();
    cwl.on(CreateLogGroupCommand).rejects(new ResourceAlreadyExistsException({
      message: 'The specified log group already exists',
      $metadata: { httpStatusCode: 400 },
    }));

    // WHEN
    const update = await invoke(cfnEvent(resource, 'Update', newProperties, {
      physicalResourceId: '/aws/sagemaker/Endpoints/churn-v1',
      oldProperties,
    }));

    // THEN
    expect(update.Status).toBe('SUCCESS');
    expect(update.PhysicalResourceId).toBe('/aws/sagemaker/Endpoints/churn-v2');
    expect(logsCalls()).toEqual([{ command: 'CreateLogGroupCommand', input: { logGroupName: '/aws/sagemaker/Endpoints/churn-v2' } }]);
  });
});
