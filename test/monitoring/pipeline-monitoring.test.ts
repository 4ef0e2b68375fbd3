import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { PipelineMonitoring, PipelineMonitoringProps, SageMakerLogSource } from '../../src/monitoring';

function setup(): { stack: Stack; stateMachine: sfn.StateMachine } {
  const stack = new Stack(new App(), 'Stack', { env: { account: '111111111111', region: 'eu-west-1' } });
  const stateMachine = new sfn.StateMachine(stack, 'Pipeline', {
    definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Noop')),
  });
  return { stack, stateMachine };
}

function monitor(props: Partial<PipelineMonitoringProps> = {}) {
  const { stack, stateMachine } = setup();
  const monitoring = new PipelineMonitoring(stack, 'Monitoring', { stateMachine, ...props });
  return { stack, stateMachine, monitoring };
}

describe('PipelineMonitoring', () => {
  test('by default creates nothing but metrics', () => {
    // GIVEN / WHEN
    const { stack, monitoring } = monitor();

    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Logs::MetricFilter', 0);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    expect(monitoring.metricExecutionsFailed().metricName).toBe('ExecutionsFailed');
    expect(monitoring.metricExecutionsFailed().statistic).toBe('Sum');
    expect(monitoring.metricExecutionsSucceeded().metricName).toBe('ExecutionsSucceeded');
    expect(monitoring.metricExecutionTime().metricName).toBe('ExecutionTime');
  });

  test('counts error lines in the monitored log groups', () => {
    // GIVEN / WHEN
    const { stack, monitoring } = monitor({
      endpointName: 'iris-endpoint',
      logs: { training: true, transform: true, endpoint: true },
      metricNamespace: 'Iris',
    });

    // THEN
    const template = Template.fromStack(stack);
    // One resource makes sure all three groups exist.
    template.resourceCountIs('Custom::SageMakerLogGroups', 1);
    template.hasResourceProperties('Custom::SageMakerLogGroups', {
      LogGroupNames: ['/aws/sagemaker/TrainingJobs', '/aws/sagemaker/TransformJobs', '/aws/sagemaker/Endpoints/iris-endpoint'],
    });
    template.resourceCountIs('AWS::Logs::LogGroup', 0);
    for (const [group, name] of [
      ['/aws/sagemaker/TrainingJobs', 'TrainingJobsErrorLines'],
      ['/aws/sagemaker/TransformJobs', 'TransformJobsErrorLines'],
      ['/aws/sagemaker/Endpoints/iris-endpoint', 'EndpointErrorLines'],
    ]) {
      template.hasResourceProperties('AWS::Logs::MetricFilter', {
        LogGroupName: group,
        FilterPattern: '?"Traceback" ?"ERROR" ?"CRITICAL" ?"FATAL"',
        MetricTransformations: [{ MetricNamespace: 'Iris', MetricName: name, MetricValue: '1', Unit: 'Count' }],
      });
    }
    expect(monitoring.metricErrorLines(SageMakerLogSource.ENDPOINT)?.metricName).toBe('EndpointErrorLines');
    expect(monitoring.metricErrorLines(SageMakerLogSource.ENDPOINT)?.statistic).toBe('Sum');
  });

  test('error-line counters can be turned off or redefined', () => {
    // GIVEN / WHEN
    const off = monitor({ logs: { training: true }, errorLineCounters: false });
    const custom = monitor({ logs: { training: true }, errorLinePattern: logs.FilterPattern.anyTerm('panic') });

    // THEN
    Template.fromStack(off.stack).resourceCountIs('AWS::Logs::MetricFilter', 0);
    expect(off.monitoring.metricErrorLines(SageMakerLogSource.TRAINING_JOBS)).toBeUndefined();
    Template.fromStack(custom.stack).hasResourceProperties('AWS::Logs::MetricFilter', { FilterPattern: '"panic"' });
  });

  test('the default namespace is unique to the construct', () => {
    // GIVEN / WHEN
    const { monitoring } = monitor({ logs: { training: true } });

    // THEN
    expect(monitoring.metricNamespace).toMatch(/^SageMakerByoa\/Stack-Monitoring-[0-9A-F]{8}$/);
  });

  test('derives metric filters from translatable metric definitions', () => {
    // GIVEN / WHEN
    const { stack, monitoring } = monitor({
      logs: { training: true },
      errorLineCounters: false,
      metricNamespace: 'Iris',
      metricDefinitions: [{ name: 'train:loss', regex: 'loss: ([0-9\\.]+)' }],
    });

    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: '/aws/sagemaker/TrainingJobs',
      FilterPattern: '[..., label1 = "loss:", value]',
      MetricTransformations: [{ MetricNamespace: 'Iris', MetricName: 'train_loss', MetricValue: '$value' }],
    });
    const metric = monitoring.metricTrainingLogMetric('train:loss');
    expect(metric?.statistic).toBe('Average');
    expect(metric?.metricName).toBe('train_loss');
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('warns about a metric definition no filter can express', () => {
    // GIVEN / WHEN
    const { stack, monitoring } = monitor({
      logs: { training: true },
      errorLineCounters: false,
      metricDefinitions: [{ name: 'accuracy', regex: 'accuracy=([0-9\\.]+)' }],
    });

    // THEN
    Template.fromStack(stack).resourceCountIs('AWS::Logs::MetricFilter', 0);
    expect(monitoring.metricTrainingLogMetric('accuracy')).toBeUndefined();
    Annotations.fromStack(stack).hasWarning('/Stack/Monitoring', Match.stringLikeRegexp(
      "Training metric 'accuracy' \\(regex 'accuracy=\\(\\[0-9\\\\\\.\\]\\+\\)'\\) cannot become a CloudWatch Logs metric filter: "
      + "the value is glued to the label \\('accuracy=<value>'.*SageMaker still publishes it as 'accuracy' in namespace '/aws/sagemaker/TrainingJobs'"
      + ".*metricTrainingMetric\\('accuracy'\\).*cdk-sagemaker-byoa:metric-filter-unsupported",
    ));
  });

  test('no filters are derived, and no warning, when training logs are not monitored or derivation is off', () => {
    // GIVEN / WHEN
    const definitions = [{ name: 'accuracy', regex: 'accuracy=([0-9\\.]+)' }];
    const notMonitored = monitor({ metricDefinitions: definitions });
    const off = monitor({ logs: { training: true }, errorLineCounters: false, deriveMetricFilters: false, metricDefinitions: definitions });

    // THEN
    for (const { stack } of [notMonitored, off]) {
      Template.fromStack(stack).resourceCountIs('AWS::Logs::MetricFilter', 0);
      Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
    }
  });

  test('adds user metric filters on the chosen log group', () => {
    // GIVEN / WHEN
    const { stack } = monitor({
      endpointName: 'iris-endpoint',
      metricFilters: [{
        source: SageMakerLogSource.ENDPOINT,
        filterPattern: logs.FilterPattern.anyTerm('timeout'),
        metricName: 'Timeouts',
        metricNamespace: 'Custom',
      }],
    });

    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: '/aws/sagemaker/Endpoints/iris-endpoint',
      MetricTransformations: [{ MetricNamespace: 'Custom', MetricName: 'Timeouts' }],
    });
  });

  test('endpoint metrics use the endpoint and variant names', () => {
    // GIVEN / WHEN
    const { monitoring } = monitor({ endpointName: 'iris-endpoint', endpointVariantName: 'blue' });

    // THEN
    const m = monitoring.metricEndpointInvocation5XXErrors();
    expect(m.dimensions).toEqual({ EndpointName: 'iris-endpoint', VariantName: 'blue' });
    expect(monitoring.metricEndpointInvocations().statistic).toBe('Sum');
    expect(monitoring.metricEndpointModelLatency().statistic).toBe('Average');
    expect(monitoring.metricEndpointInvocation4XXErrors().metricName).toBe('Invocation4XXErrors');
    expect(monitoring.metricEndpointCpuUtilization().namespace).toBe('/aws/sagemaker/Endpoints');
    expect(monitoring.metricEndpointMemoryUtilization().metricName).toBe('MemoryUtilization');
  });

  test('training metrics across executions are SEARCH expressions', () => {
    // GIVEN / WHEN
    const { monitoring } = monitor({ trainingJobNamePrefix: 'iris' });

    // THEN
    expect(monitoring.metricTrainingMetric('train:accuracy').expression)
      .toContain('MetricName="train:accuracy" TrainingJobName=iris');
  });

  test('alarms: failed executions, endpoint 5xx, error lines, all notifying the topic', () => {
    // GIVEN
    const { stack, stateMachine } = setup();
    const topic = new sns.Topic(stack, 'Topic');

    // WHEN
    new PipelineMonitoring(stack, 'Monitoring', {
      stateMachine,
      endpointName: 'iris-endpoint',
      logs: { endpoint: true },
      alarms: true,
      alarmTopic: topic,
    });

    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 3);
    const topicRef = { Ref: Match.stringLikeRegexp('^Topic') };
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/States',
      MetricName: 'ExecutionsFailed',
      Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: Match.stringLikeRegexp('^Pipeline') } }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [topicRef],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SageMaker', MetricName: 'Invocation5XXErrors', Threshold: 1, AlarmActions: [topicRef],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'EndpointErrorLines', Statistic: 'Sum', Threshold: 1, AlarmActions: [topicRef],
    });
  });

  test('alarmOptions turn alarms on and set thresholds', () => {
    // GIVEN / WHEN
    const { stack, monitoring } = monitor({
      alarmOptions: { failedExecutionsThreshold: 3, period: Duration.minutes(15), evaluationPeriods: 2 },
    });

    // THEN
    expect(monitoring.alarms).toHaveLength(1);
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ExecutionsFailed', Threshold: 3, Period: 900, EvaluationPeriods: 2, AlarmActions: Match.absent(),
    });
  });

  test('notifies failed, timed-out and aborted executions of this state machine', () => {
    // GIVEN / WHEN
    const { stack } = monitor({ createAlarmTopic: true });

    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        'detail': {
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: [{ Ref: Match.stringLikeRegexp('^Pipeline') }],
        },
      },
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^MonitoringAlarmTopic') } })],
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'events.amazonaws.com' }, Action: 'sns:Publish' })]) },
    });
  });

  test('failure notifications can be turned off', () => {
    // GIVEN / WHEN
    const { stack } = monitor({ createAlarmTopic: true, notifyExecutionFailures: false });

    // THEN
    Template.fromStack(stack).resourceCountIs('AWS::Events::Rule', 0);
  });

  test('a created topic is encrypted with the KMS key, which EventBridge and CloudWatch may use', () => {
    // GIVEN
    const { stack, stateMachine } = setup();
    const key = new kms.Key(stack, 'Key');

    // WHEN
    new PipelineMonitoring(stack, 'Monitoring', { stateMachine, createAlarmTopic: true, kmsKey: key });

    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] } });
    for (const service of ['events.amazonaws.com', 'cloudwatch.amazonaws.com']) {
      template.hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: {
          Statement: Match.arrayWith([Match.objectLike({
            Principal: { Service: service },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          })]),
        },
      });
    }
  });

  test('dashboard shows executions, training searches, endpoint and log metrics', () => {
    // GIVEN / WHEN
    const { stack } = monitor({
      endpointName: 'iris-endpoint',
      logs: { training: true, endpoint: true },
      metricDefinitions: [{ name: 'train:loss', regex: 'loss: ([0-9\\.]+)' }],
      dashboard: true,
      dashboardName: 'iris',
    });

    // THEN
    const template = Template.fromStack(stack);
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as any[];
    expect(dashboard.Properties.DashboardName).toBe('iris');
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const text of ['Executions', 'ExecutionsFailed', 'SEARCH(', 'train:loss', 'Invocation5XXErrors', 'ModelLatency',
      'CPUUtilization', 'EndpointErrorLines', 'TrainingJobsErrorLines', 'train_loss']) {
      expect(body).toContain(text);
    }
  });

  describe('validation', () => {
    test('endpoint logs need an endpoint name', () => {
      expect(() => monitor({ logs: { endpoint: true } }))
        .toThrow(/endpointName: is not set, and logs.endpoint or a metricFilters entry with source ENDPOINT needs it/);
    });

    test('endpoint metrics need an endpoint name', () => {
      const { monitoring } = monitor();
      expect(() => monitoring.metricEndpointInvocations()).toThrow(/endpointName: is not set, and metricEndpointInvocations\(\) needs it/);
    });

    test('metric definition names are unique', () => {
      expect(() => monitor({ metricDefinitions: [{ name: 'a', regex: 'a: (\\d+)' }, { name: 'a', regex: 'b: (\\d+)' }] }))
        .toThrow(/metricDefinitions\[1\].name: "a" is not valid; allowed: a name no other metric definition has/);
    });

    test('thresholds are at least 1', () => {
      expect(() => monitor({ alarmOptions: { errorLinesThreshold: 0 } }))
        .toThrow(/alarmOptions.errorLinesThreshold: 0 is not valid; allowed: at least 1/);
    });

    test('evaluation periods are whole and positive', () => {
      expect(() => monitor({ alarmOptions: { evaluationPeriods: 1.5 } }))
        .toThrow(/alarmOptions.evaluationPeriods: 1.5 is not valid; allowed: a whole number >= 1/);
    });

    test('alarm periods are 10, 30 or a multiple of 60 seconds', () => {
      expect(() => monitor({ alarmOptions: { period: Duration.seconds(90) } }))
        .toThrow(/alarmOptions.period: "90 seconds" is not valid; allowed: CloudWatch alarms allow 10, 30 or a multiple of 60 seconds/);
    });

    test('a topic is given or created, not both', () => {
      const { stack, stateMachine } = setup();
      expect(() => new PipelineMonitoring(stack, 'M', { stateMachine, alarmTopic: new sns.Topic(stack, 'T'), createAlarmTopic: true }))
        .toThrow(/alarmTopic: and createAlarmTopic are both set/);
    });
  });
});
