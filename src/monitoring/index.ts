export * from './sagemaker-log-group';
export * from './log-metric-filter';
export * from './endpoint-metrics';
export * from './training-metrics';
export * from './pipeline-monitoring';
