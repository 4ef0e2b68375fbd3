/**
 * The local SageMaker Runtime API in front of local endpoints, driven by the
 * real `@aws-sdk/client-sagemaker-runtime` client against real containers.
 */
import * as http from 'http';
import { InvokeEndpointCommand, ModelError, SageMakerRuntimeClient, ValidationError } from '@aws-sdk/client-sagemaker-runtime';
import { Duration } from 'aws-cdk-lib';
import { buildServingImage, ownContainers, SERVING_IMAGE } from './fixtures/serving/fixture';
import { LocalModeError, ModelError as LocalModelError } from '../../src/local/errors';
import { LocalEndpoint, LocalEndpointProps } from '../../src/local/local-endpoint';

const base = { FIXTURE_BIND_HOST: '127.0.0.1' };
const started: LocalEndpoint[] = [];
const clients: SageMakerRuntimeClient[] = [];

async function start(name: string, environment: { [key: string]: string }, extra: Partial<LocalEndpointProps> = {}): Promise<LocalEndpoint> {
  const endpoint = await LocalEndpoint.start({
    image: SERVING_IMAGE,
    endpointName: name,
    environment: { ...base, ...environment },
    startupHealthCheckTimeout: Duration.seconds(20),
    stopGracePeriod: Duration.seconds(2),
    ...extra,
  });
  started.push(endpoint);
  return endpoint;
}

/** The real SageMaker Runtime client, pointed at the local front (it signs with any credentials; the front does not check them). */
function runtimeClient(endpoint: LocalEndpoint): SageMakerRuntimeClient {
  const client = new SageMakerRuntimeClient({
    endpoint: endpoint.runtimeUrl,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  clients.push(client);
  return client;
}

/** A raw request to the front: what curl or another client would see. */
interface RawAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

function post(url: string, body: Buffer, headers: http.OutgoingHttpHeaders = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { ...headers, 'Content-Length': body.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  await buildServingImage();
}, 300_000);

afterEach(async () => {
  clients.splice(0).forEach((c) => c.destroy());
  await Promise.all(started.splice(0).map((e) => e.stop()));
});

afterAll(async () => {
  expect(await ownContainers()).toEqual([]);
});

describe('the local SageMaker Runtime API', () => {
  test('GIVEN an endpoint WHEN the SageMaker Runtime client invokes it by name THEN it answers as SageMaker does, with the headers forwarded', async () => {
    // GIVEN
    const endpoint = await start('front-headers', { FIXTURE_MODE: 'allheaders' }, { variantName: 'Blue' });
    expect(endpoint.runtimeUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(endpoint.runtimeUrl).not.toBe(endpoint.url);
    // WHEN
    const answer = await runtimeClient(endpoint).send(new InvokeEndpointCommand({
      EndpointName: 'front-headers',
      Body: Buffer.from('{"x": 1}'),
      ContentType: 'application/json',
      Accept: 'application/json',
      CustomAttributes: 'trace=1',
      InferenceId: 'req-7',
    }));
    // THEN the container got the request's headers, and the client got the answer
    expect(answer.$metadata.httpStatusCode).toBe(200);
    expect(answer.InvokedProductionVariant).toBe('Blue');
    const seen = JSON.parse(Buffer.from(answer.Body!).toString('utf8'));
    expect(seen).toMatchObject({
      'content-type': 'application/json',
      'accept': 'application/json',
      'x-amzn-sagemaker-custom-attributes': 'trace=1',
      'x-amzn-sagemaker-inference-id': 'req-7',
    });
    // the signature and the SDK's own headers do not reach the container
    expect(Object.keys(seen).sort()).toEqual(['accept', 'connection', 'content-length', 'content-type', 'host', 'x-amzn-sagemaker-custom-attributes',
      'x-amzn-sagemaker-inference-id']);
  });

  test('GIVEN a container answering 4xx/5xx WHEN invoked through the API THEN a ModelError (424) with the original status, message and the log lines', async () => {
    // GIVEN an endpoint without a log sink
    const endpoint = await start('front-errors', { FIXTURE_FAIL_ON: 'BAD' });
    const client = runtimeClient(endpoint);
    // WHEN
    const error = await client.send(new InvokeEndpointCommand({ EndpointName: 'front-errors', Body: Buffer.from('a BAD record') }))
      .then(() => undefined, (e: ModelError) => e);
    // THEN
    expect(error).toBeInstanceOf(ModelError);
    expect(error!.$metadata.httpStatusCode).toBe(424);
    expect(error!.OriginalStatusCode).toBe(500);
    expect(error!.OriginalMessage).toBe('fixture: cannot predict a record containing BAD');
    expect(error!.message).toMatch(/^Received server error \(500\) from the model container with message "fixture: cannot predict a record containing BAD"\. /);
    expect(error!.message).toContain('fixture: Traceback: ValueError: record 1 contains BAD');
    // WHEN the container answers 400 THEN a client error, and the endpoint goes on serving
    const client400 = await client.send(new InvokeEndpointCommand({ EndpointName: 'front-errors', Body: Buffer.from('CLIENT-ERROR') }))
      .then(() => undefined, (e: ModelError) => e);
    expect(client400?.OriginalStatusCode).toBe(400);
    const fine = await client.send(new InvokeEndpointCommand({ EndpointName: 'front-errors', Body: Buffer.from('fine') }));
    expect(Buffer.from(fine.Body!).toString()).toBe('fine');
  });

  test('GIVEN no log sink WHEN LocalEndpoint.invoke() gets a 500 THEN its ModelError carries the container\'s last log lines too', async () => {
    const endpoint = await start('front-invoke-logs', { FIXTURE_FAIL_ON: 'BAD' });
    const error = await endpoint.invoke('BAD').then(() => undefined, (e: LocalModelError) => e);
    expect(error).toBeInstanceOf(LocalModelError);
    expect(error!.message).toMatch(/The last lines of the log of local endpoint 'front-invoke-logs':\n[^]*fixture: Traceback: ValueError: record 1 contains BAD/);
  });

  test('GIVEN a body over 6 MB WHEN sent to the API THEN 413 as SageMaker answers it, and the container never sees it; exactly 6 MB passes', async () => {
    const endpoint = await start('front-size', { FIXTURE_MODE: 'describe' });
    // WHEN (raw, as curl would)
    const tooLarge = await post(endpoint.invocationsUrl, Buffer.alloc(7 * 1024 * 1024, 0x61));
    // THEN
    expect(tooLarge.status).toBe(413);
    expect(JSON.parse(tooLarge.body)).toEqual({ message: 'HTTP content length exceeded 6291456 bytes.' });
    // THEN the container has had no invocation: the next one is its first
    const ok = await runtimeClient(endpoint).send(new InvokeEndpointCommand({ EndpointName: 'front-size', Body: Buffer.alloc(6_291_456, 0x61) }));
    expect(Buffer.from(ok.Body!).toString()).toBe('1 6291456');
    // WHEN through the SDK client THEN it fails with status 413
    const sdkError = await runtimeClient(endpoint).send(new InvokeEndpointCommand({ EndpointName: 'front-size', Body: Buffer.alloc(6_291_457, 0x61) }))
      .then(() => undefined, (e: { $metadata: { httpStatusCode: number }; message: string }) => e);
    expect(sdkError?.$metadata.httpStatusCode).toBe(413);
  });

  test('GIVEN a model slower than the invocation timeout WHEN invoked through the API THEN a ModelError with original status 0', async () => {
    const endpoint = await start('front-slow', { FIXTURE_SLEEP_ON: 'SLOW', FIXTURE_SLEEP_SECONDS: '3' }, { invocationTimeout: Duration.seconds(1) });
    const error = await runtimeClient(endpoint).send(new InvokeEndpointCommand({ EndpointName: 'front-slow', Body: Buffer.from('SLOW') }))
      .then(() => undefined, (e: ModelError) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect(error!.OriginalStatusCode).toBe(0);
    expect(error!.message).toMatch(/did not answer the invocation within 1 s/);
  });

  test('GIVEN two endpoints WHEN started at once THEN both are served by name on one API port, and an unknown name is a ValidationError', async () => {
    // GIVEN
    const [echo, upper] = await Promise.all([start('front-echo', { FIXTURE_MODE: 'echo' }), start('front-upper', { FIXTURE_MODE: 'upper' })]);
    expect(echo.runtimeUrl).toBe(upper.runtimeUrl);
    const client = runtimeClient(echo);
    // WHEN
    const [a, b] = await Promise.all([
      client.send(new InvokeEndpointCommand({ EndpointName: 'front-echo', Body: Buffer.from('hello') })),
      client.send(new InvokeEndpointCommand({ EndpointName: 'front-upper', Body: Buffer.from('hello') })),
    ]);
    // THEN
    expect(Buffer.from(a.Body!).toString()).toBe('hello');
    expect(Buffer.from(b.Body!).toString()).toBe('HELLO');
    const unknown = await client.send(new InvokeEndpointCommand({ EndpointName: 'front-none', Body: Buffer.from('x') })).then(() => undefined, (e: ValidationError) => e);
    expect(unknown).toBeInstanceOf(ValidationError);
    expect(unknown!.$metadata.httpStatusCode).toBe(400);
    expect(unknown!.message).toBe('Endpoint front-none of account local not found. This local SageMaker Runtime serves: front-echo, front-upper.');
    // WHEN one stops THEN its name is gone, the other still serves
    await upper.stop();
    const gone = await client.send(new InvokeEndpointCommand({ EndpointName: 'front-upper', Body: Buffer.from('x') })).then(() => undefined, (e: ValidationError) => e);
    expect(gone).toBeInstanceOf(ValidationError);
    expect(Buffer.from((await client.send(new InvokeEndpointCommand({ EndpointName: 'front-echo', Body: Buffer.from('still') }))).Body!).toString()).toBe('still');
  });

  test('GIVEN an endpoint WHEN a second one takes its name THEN a clear error, and the API closes with the last endpoint', async () => {
    const first = await start('front-twice', { FIXTURE_MODE: 'echo' });
    const error = await start('front-twice', { FIXTURE_MODE: 'echo' }).then(() => undefined, (e: Error) => e);
    expect(error).toBeInstanceOf(LocalModeError);
    expect(error!.message).toMatch(/A local endpoint named 'front-twice' already serves on http:\/\/127\.0\.0\.1:\d+ in this process/);
    // the refused endpoint's container is gone
    expect(await ownContainers('byoa.endpoint=front-twice')).toHaveLength(1);
    const url = first.invocationsUrl;
    await first.stop();
    await expect(post(url, Buffer.from('x'))).rejects.toThrow(/ECONNREFUSED/);
  });

  test('GIVEN a chosen API port WHEN it is in use THEN the error names it; other paths are not operations', async () => {
    // GIVEN
    const endpoint = await start('front-port', { FIXTURE_MODE: 'echo' });
    const port = Number(new URL(endpoint.runtimeUrl).port);
    // WHEN another process holds a port THEN the error says so (a port of our own front is shared instead)
    const holder = http.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const held = (holder.address() as { port: number }).port;
    try {
      const error = await start('front-port-2', { FIXTURE_MODE: 'echo' }, { runtimePort: held }).then(() => undefined, (e: Error) => e);
      expect(error?.message).toBe(`Cannot serve the local SageMaker Runtime API on 127.0.0.1:${held}: the port is in use. Choose another port, or none to get a free one.`);
    } finally {
      holder.close();
    }
    const shared = await start('front-port-3', { FIXTURE_MODE: 'echo' }, { runtimePort: port });
    expect(shared.runtimeUrl).toBe(endpoint.runtimeUrl);
    // WHEN the container's own paths are asked of the API THEN they are not there
    const ping = await post(`${endpoint.runtimeUrl}/invocations`, Buffer.from('x'));
    expect(ping.status).toBe(404);
    expect(ping.headers['x-amzn-errortype']).toBe('UnknownOperationException');
  });
});
