/**
 * Watching the SageMaker resources of one pipeline step while it runs
 * (INTERNAL): a training job (status, secondary status transitions, every
 * host's log lines, metrics as they appear), a batch transform job (status,
 * log lines) and an endpoint (status until InService). Each `poll()` prints
 * what is new since the last one.
 */
import { DescribeEndpointCommand, DescribeTrainingJobCommand, DescribeTrainingJobResponse, DescribeTransformJobCommand, DescribeTransformJobResponse } from '@aws-sdk/client-sagemaker';
import { AwsCaller, CloudClients } from './clients';
import { linePrefix, LogTail, TailedLine, TRAINING_LOG_GROUP, TRANSFORM_LOG_GROUP } from './log-tail';
import { MetricCollector } from '../local/private/training/metric-collector';

/** Where the watchers print. */
export interface Printer {
  out(line: string): void;
  err(line: string): void;
}

/** Prints a log line as local mode does. */
export function printLine(output: Printer, line: TailedLine): void {
  output.out(`${linePrefix(line.jobName, line.host)} ${line.message}`);
}

/** A SageMaker job and the log streams of its hosts. */
abstract class JobWatch {
  protected readonly tail: LogTail;

  constructor(
    protected readonly clients: CloudClients,
    protected readonly caller: AwsCaller,
    protected readonly output: Printer,
    public readonly jobName: string,
    logGroup: string,
  ) {
    this.tail = new LogTail(clients, caller, logGroup, jobName);
  }
}

/** A training job: secondary status transitions, log lines of every host, metrics. */
export class TrainingWatch extends JobWatch {
  public description?: DescribeTrainingJobResponse;
  private metrics?: MetricCollector;
  private transitionsShown = 0;

  constructor(clients: CloudClients, caller: AwsCaller, output: Printer, jobName: string) {
    super(clients, caller, output, jobName, TRAINING_LOG_GROUP);
  }

  public async poll(): Promise<void> {
    const d = this.description = await this.caller.call(() => this.clients.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: this.jobName })), `SageMaker DescribeTrainingJob ${this.jobName}`);
    const transitions = d.SecondaryStatusTransitions ?? [];
    for (; this.transitionsShown < transitions.length; this.transitionsShown++) {
      const t = transitions[this.transitionsShown];
      this.output.out(`[${this.jobName}] ${t.Status}${t.StatusMessage ? ` - ${t.StatusMessage}` : ''}`);
    }
    this.metrics ??= new MetricCollector(d.AlgorithmSpecification?.MetricDefinitions, {
      onMetric: (p) => this.output.out(`[${this.jobName}] metric ${p.metricName} = ${p.value}`),
      onWarning: (message) => this.output.err(`byoa: Warning: ${message}`),
    });
    await this.tail.poll((line) => {
      printLine(this.output, line);
      this.metrics!.accept(line.message, line.host, new Date(line.timestamp));
    });
    // The metrics of this poll's lines are printed before the next poll's lines.
    await this.metrics.flush();
  }

  /** Final metrics as SageMaker reports them (FinalMetricDataList), else the last values seen in the logs. */
  public finalMetrics(): { name: string; value: number }[] {
    const reported = (this.description?.FinalMetricDataList ?? []).filter(m => m.MetricName !== undefined && m.Value !== undefined);
    if (reported.length > 0) return reported.map(m => ({ name: m.MetricName!, value: m.Value! }));
    return (this.metrics?.finalMetrics() ?? []).map(p => ({ name: p.metricName, value: p.value }));
  }
}

/** A batch transform job: status changes and log lines. */
export class TransformWatch extends JobWatch {
  public description?: DescribeTransformJobResponse;
  private lastStatus?: string;
  private lastReport = 0;

  constructor(clients: CloudClients, caller: AwsCaller, output: Printer, jobName: string) {
    super(clients, caller, output, jobName, TRANSFORM_LOG_GROUP);
  }

  public async poll(now: number): Promise<void> {
    const d = this.description = await this.caller.call(() => this.clients.sagemaker.send(new DescribeTransformJobCommand({ TransformJobName: this.jobName })), `SageMaker DescribeTransformJob ${this.jobName}`);
    // A transform job reports no record counts: its status, and once a minute how long it has run.
    const running = d.TransformStartTime ? Math.max(0, Math.round((now - d.TransformStartTime.getTime()) / 1000)) : undefined;
    if (d.TransformJobStatus !== this.lastStatus) {
      this.lastStatus = d.TransformJobStatus;
      this.lastReport = now;
      this.output.out(`[${this.jobName}] ${d.TransformJobStatus}${running !== undefined && d.TransformJobStatus === 'InProgress' ? ` (running for ${running} s)` : ''}`);
    } else if (d.TransformJobStatus === 'InProgress' && now - this.lastReport >= 60_000) {
      this.lastReport = now;
      this.output.out(`[${this.jobName}] InProgress (running for ${running ?? '?'} s)`);
    }
    await this.tail.poll((line) => printLine(this.output, line));
  }
}

/** An endpoint: status changes until it is InService or Failed. */
export class EndpointWatch {
  public status?: string;
  public failureReason?: string;

  constructor(
    private readonly clients: CloudClients,
    private readonly caller: AwsCaller,
    private readonly output: Printer,
    public readonly endpointName: string,
  ) {}

  public async poll(): Promise<void> {
    let d;
    try {
      d = await this.caller.call(() => this.clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: this.endpointName })),
        `SageMaker DescribeEndpoint ${this.endpointName}`, ['ValidationException']);
    } catch (e) {
      if ((e as Error).name === 'ValidationException') return; // not created yet
      throw e;
    }
    this.failureReason = d.FailureReason;
    if (d.EndpointStatus !== this.status) {
      this.status = d.EndpointStatus;
      this.output.out(`Endpoint ${this.endpointName} ${d.EndpointStatus}${d.FailureReason ? `: ${d.FailureReason}` : ''}`);
    }
  }
}
