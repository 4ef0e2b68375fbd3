import { spawn } from 'child_process';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as path from 'path';

/**
 * Ctrl-C of a real `byoa cloud follow` process: the SIGINT handler, the
 * system clock's abortable sleep and the exit code. Step Functions is a
 * small fake on a loopback port, reached through the SDK's AWS_ENDPOINT_URL.
 */
const CLI = path.join(__dirname, '..', '..', 'src', 'cli', 'byoa.ts');
const ARN = 'arn:aws:states:eu-west-1:123456789012:execution:IrisStateMachine:run-1';

interface FakeSfn { url: string; targets: string[]; bodies: any[]; close(): Promise<void> }

/** Answers DescribeExecution (RUNNING), GetExecutionHistory (no events yet) and StopExecution, in the awsJson1_0 protocol. */
async function fakeStepFunctions(): Promise<FakeSfn> {
  const targets: string[] = [];
  const bodies: any[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '').replace('AWSStepFunctions.', '');
      targets.push(target);
      bodies.push(JSON.parse(body || '{}'));
      const answers: { [t: string]: object } = {
        DescribeExecution: { executionArn: ARN, stateMachineArn: ARN.replace(':execution:', ':stateMachine:').replace(/:run-1$/, ''), status: 'RUNNING', startDate: 1772359200 },
        GetExecutionHistory: { events: [] },
        StopExecution: { stopDate: 1772359300 },
      };
      res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify(answers[target] ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, targets, bodies, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function followAndInterrupt(sfn: FakeSfn, extra: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', CLI, 'cloud', 'follow', ARN, '--app', '/nonexistent/cdk.out', ...extra], {
      env: {
        ...process.env,
        AWS_ENDPOINT_URL: sfn.url,
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_REGION: 'eu-west-1',
        AWS_EC2_METADATA_DISABLED: 'true',
      },
    });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (d) => {
      stdout += d;
      // the first poll is done once the history was read: Ctrl-C while it waits for the next one
      if (!sent && /Following execution/.test(stdout)) {
        const wait = setInterval(() => {
          if (sfn.targets.includes('GetExecutionHistory')) {
            clearInterval(wait);
            sent = true;
            child.kill('SIGINT');
          }
        }, 20);
      }
    });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('Ctrl-C of a real byoa cloud follow process', () => {
  test('detaches: exit code 130, the execution goes on, the command to follow it again is printed', async () => {
    // GIVEN
    const sfn = await fakeStepFunctions();
    try {
      // WHEN
      const res = await followAndInterrupt(sfn, []);
      // THEN
      expect(res.code).toBe(130);
      expect(res.stderr).toContain(`Detached from execution ${ARN}: it goes on in the cloud.`);
      expect(res.stderr).toContain(`  follow it again: byoa cloud follow ${ARN}`);
      expect(sfn.targets).not.toContain('StopExecution');
    } finally {
      await sfn.close();
    }
  });

  test('with --stop-on-interrupt: StopExecution, exit code 130', async () => {
    // GIVEN
    const sfn = await fakeStepFunctions();
    try {
      // WHEN
      const res = await followAndInterrupt(sfn, ['--stop-on-interrupt']);
      // THEN
      expect(res.code).toBe(130);
      expect(sfn.targets[sfn.targets.length - 1]).toBe('StopExecution');
      expect(sfn.bodies[sfn.bodies.length - 1]).toMatchObject({ executionArn: ARN, error: 'byoa.Interrupted' });
      expect(res.stderr).toContain(`Stopped execution ${ARN}`);
    } finally {
      await sfn.close();
    }
  });
});
