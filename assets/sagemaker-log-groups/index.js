'use strict';
// The handler of the `Custom::SageMakerLogGroups` resource of a stack
// (cdk-sagemaker-byoa's SageMakerLogGroup). On Create and Update it makes
// sure that each log group in LogGroupNames exists: a missing group is
// created as SageMaker itself creates it (no retention, no KMS key), and a
// group that exists (ResourceAlreadyExistsException) is left untouched.
// Delete does nothing: the groups are SageMaker's, shared with every job or
// deployment, and their logs stay. aws-cdk-lib's custom resource entrypoint,
// staged next to this file, sends the response to CloudFormation.
const { CloudWatchLogsClient, CreateLogGroupCommand } = require('@aws-sdk/client-cloudwatch-logs');

const PHYSICAL_RESOURCE_ID = 'sagemaker-log-groups';

exports.handler = async (event) => {
  const physicalResourceId = event.PhysicalResourceId ?? PHYSICAL_RESOURCE_ID;
  if (event.RequestType === 'Delete') {
    return { PhysicalResourceId: physicalResourceId };
  }
  const names = event.ResourceProperties.LogGroupNames ?? [];
  const client = new CloudWatchLogsClient({});
  const created = [];
  // One at a time: CreateLogGroup allows a few calls per second per account and region.
  for (const logGroupName of names) {
    try {
      await client.send(new CreateLogGroupCommand({ logGroupName }));
      created.push(logGroupName);
    } catch (error) {
      if (error.name !== 'ResourceAlreadyExistsException') {
        throw new Error(`cannot create the log group ${logGroupName}: ${error.name}: ${error.message}`);
      }
    }
  }
  console.log(JSON.stringify({ ensured: names.length, created }));
  return { PhysicalResourceId: physicalResourceId };
};
