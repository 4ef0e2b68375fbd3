import { createHash } from 'crypto';
import { Stack, Token } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IDependable } from 'constructs';
import { ENDPOINTS_LOG_GROUP_PREFIX, TRAINING_JOBS_LOG_GROUP_NAME, TRANSFORM_JOBS_LOG_GROUP_NAME } from './private/constants';
import { EnsuredLogGroups } from './private/ensured-log-groups';
import { MAX_FILTERS_PER_LOG_GROUP, MAX_REGEX_FILTERS_PER_LOG_GROUP } from './private/filter-checks';


/**
 * A SageMaker-owned log group (`/aws/sagemaker/TrainingJobs`,
 * `/aws/sagemaker/TransformJobs`, `/aws/sagemaker/Endpoints/<name>`) made
 * safe to attach metric filters to.
 *
 * SageMaker creates these groups on first use and shares them across every
 * job (or every deployment of an endpoint) in the account and region. A
 * metric filter on a group that does not exist yet fails to deploy, and a
 * stack that declared an `AWS::Logs::LogGroup` for it would fail when it
 * exists, or delete the shared group (and everybody's logs) on stack deletion.
 *
 * This construct therefore does not own the group. The stack has one custom
 * resource, `Custom::SageMakerLogGroups`, whose `LogGroupNames` lists the
 * group of every `SageMakerLogGroup` in the stack. On create and on update
 * its Lambda calls `CloudWatchLogs:CreateLogGroup` for each:
 * - a group that does not exist is created (with no retention and no KMS
 *   key, exactly as SageMaker would create it);
 * - a group that exists (`ResourceAlreadyExistsException`) is left untouched.
 * Deleting the stack leaves the groups and their logs in place. The Lambda
 * may only call `logs:CreateLogGroup` on these groups.
 *
 * There is at most one per log group name per stack (`forTrainingJobs(this)`
 * twice returns the same construct). Filters attached with
 * `LogMetricFilter` depend on the custom resource, so CloudFormation creates
 * them afterwards.
 */
export class SageMakerLogGroup extends Construct {
  /** `/aws/sagemaker/TrainingJobs`: shared by every training job of the account and region. */
  public static readonly TRAINING_JOBS_LOG_GROUP_NAME = TRAINING_JOBS_LOG_GROUP_NAME;
  /** `/aws/sagemaker/TransformJobs`: shared by every transform job of the account and region. */
  public static readonly TRANSFORM_JOBS_LOG_GROUP_NAME = TRANSFORM_JOBS_LOG_GROUP_NAME;
  /** `/aws/sagemaker/Endpoints/`: followed by the endpoint name. */
  public static readonly ENDPOINTS_LOG_GROUP_PREFIX = ENDPOINTS_LOG_GROUP_PREFIX;

  /** The group of training job logs, `/aws/sagemaker/TrainingJobs`. */
  public static forTrainingJobs(scope: Construct): SageMakerLogGroup {
    return SageMakerLogGroup.forLogGroupName(scope, TRAINING_JOBS_LOG_GROUP_NAME);
  }

  /** The group of batch transform job logs, `/aws/sagemaker/TransformJobs`. */
  public static forTransformJobs(scope: Construct): SageMakerLogGroup {
    return SageMakerLogGroup.forLogGroupName(scope, TRANSFORM_JOBS_LOG_GROUP_NAME);
  }

  /**
   * The group of a real-time endpoint's logs, `/aws/sagemaker/Endpoints/<endpointName>`.
   *
   * @param endpointName the endpoint name; may be a token (e.g. `endpoint.attrEndpointName`)
   */
  public static forEndpoint(scope: Construct, endpointName: string): SageMakerLogGroup {
    return SageMakerLogGroup.forLogGroupName(scope, `${ENDPOINTS_LOG_GROUP_PREFIX}${endpointName}`);
  }

  /**
   * The singleton for any log group name in the stack of `scope`.
   *
   * @param logGroupName the log group name; may contain tokens
   */
  public static forLogGroupName(scope: Construct, logGroupName: string): SageMakerLogGroup {
    const stack = Stack.of(scope);
    const id = SageMakerLogGroup.singletonId(logGroupName);
    const existing = stack.node.tryFindChild(id);
    if (existing) return existing as SageMakerLogGroup;
    return new SageMakerLogGroup(stack, id, logGroupName);
  }

  private static singletonId(logGroupName: string): string {
    if (!Token.isUnresolved(logGroupName)) {
      const readable = logGroupName.replace(/^\/aws\/sagemaker\//, '').replace(/[^A-Za-z0-9]+/g, '');
      const hash = createHash('sha256').update(logGroupName).digest('hex').slice(0, 8);
      return `SageMakerLogGroup${readable.slice(0, 60)}${hash}`;
    }
    // Token-based names (an endpoint name from another resource): the token's
    // string form is stable for a given app, which is all a singleton needs.
    const hash = createHash('sha256').update(logGroupName).digest('hex').slice(0, 8);
    return `SageMakerLogGroupToken${hash}`;
  }

  /** The log group name (may be a token). */
  public readonly logGroupName: string;

  /** The log group, imported by name: the stack never owns it. */
  public readonly logGroup: logs.ILogGroup;

  /**
   * What a metric filter on this group must depend on: the stack's custom
   * resource that makes sure its SageMaker log groups exist.
   */
  public readonly ensured: IDependable;

  private filterCount = 0;
  private readonly regexFilterPaths: string[] = [];

  private constructor(scope: Construct, id: string, logGroupName: string) {
    super(scope, id);
    this.logGroupName = logGroupName;

    const ensured = EnsuredLogGroups.of(this);
    ensured.add(logGroupName);
    this.ensured = ensured.resource;
    this.logGroup = logs.LogGroup.fromLogGroupName(this, 'LogGroup', logGroupName);

    this.node.addValidation({
      validate: () => {
        const errors: string[] = [];
        if (this.filterCount > MAX_FILTERS_PER_LOG_GROUP) {
          errors.push(`log group '${this.logGroupName}' has ${this.filterCount} metric filters in this stack; CloudWatch Logs allows at most ${MAX_FILTERS_PER_LOG_GROUP} per log group`);
        }
        if (this.regexFilterPaths.length > MAX_REGEX_FILTERS_PER_LOG_GROUP) {
          errors.push(`log group '${this.logGroupName}' has ${this.regexFilterPaths.length} metric filters with %regex% terms in this stack (${this.regexFilterPaths.join(', ')}); CloudWatch Logs allows at most ${MAX_REGEX_FILTERS_PER_LOG_GROUP} per log group`);
        }
        return errors;
      },
    });
  }

  /**
   * Records a filter on this group, for the per-group limits.
   * @internal
   */
  public _registerFilter(filterPath: string, hasRegex: boolean): void {
    this.filterCount++;
    if (hasRegex) this.regexFilterPaths.push(filterPath);
  }
}
