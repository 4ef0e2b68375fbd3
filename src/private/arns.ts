import { ArnFormat, Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * The ARN of a SageMaker resource (`training-job/NAME`, `endpoint/NAME`, ...).
 * SageMaker writes names in lower case in its ARNs, so IAM resources must be
 * lower case too; a name that is a token is kept as it is (it is lower-cased
 * by no one, so give such names in lower case).
 */
export function sagemakerArn(scope: IConstruct, resource: string, resourceName: string): string {
  return Stack.of(scope).formatArn({
    service: 'sagemaker',
    resource,
    resourceName: Token.isUnresolved(resourceName) ? resourceName : resourceName.toLowerCase(),
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
}
