/** Log group SageMaker writes training job logs to (shared by the account and region). */
export const TRAINING_JOBS_LOG_GROUP_NAME = '/aws/sagemaker/TrainingJobs';
/** Log group SageMaker writes batch transform job logs to (shared by the account and region). */
export const TRANSFORM_JOBS_LOG_GROUP_NAME = '/aws/sagemaker/TransformJobs';
/** Prefix of the per-endpoint log groups SageMaker writes to. */
export const ENDPOINTS_LOG_GROUP_PREFIX = '/aws/sagemaker/Endpoints/';
/** Default namespace of the metrics that standalone log metric filters publish. */
export const DEFAULT_LOG_METRIC_NAMESPACE = 'SageMakerByoa';
/** Namespace in which SageMaker publishes training metric definitions. */
export const TRAINING_JOBS_METRIC_NAMESPACE = '/aws/sagemaker/TrainingJobs';
/** Warning id emitted when a training metric definition cannot become a metric filter. */
export const METRIC_FILTER_UNSUPPORTED_WARNING = 'cdk-sagemaker-byoa:metric-filter-unsupported';
/** Terms of the default error-line pattern. */
export const DEFAULT_ERROR_LINE_TERMS = ['Traceback', 'ERROR', 'CRITICAL', 'FATAL'];
