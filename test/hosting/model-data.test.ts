import { App, Stack } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { AlgorithmImage, InstanceType, ModelData, RealtimeEndpoint } from '../../src';

describe('ModelData.fromAsset', () => {
  test('a file that is not a .tar.gz throws the library\'s validation error, naming the construct, the path and what is allowed', () => {
    // GIVEN
    const create = () => {
      const stack = new Stack(new App(), 'Stack', { env: { account: '111122223333', region: 'eu-west-1' } });
      const repository = ecr.Repository.fromRepositoryName(stack, 'Repo', 'iris');

      // WHEN
      return new RealtimeEndpoint(stack, 'Endpoint', {
        image: AlgorithmImage.fromEcrRepository(repository, 'v1'),
        modelData: ModelData.fromAsset('model.zip'),
        instanceType: InstanceType.ML_T2_MEDIUM,
      });
    };

    // THEN
    expect(create).toThrow(expect.objectContaining({ name: 'ByoaValidationError' }));
    expect(create).toThrow(/^Stack\/Endpoint.*: invalid configuration \(1 problem\):\n {2}- ModelData.fromAsset path: "model.zip" is not valid; allowed: a .tar.gz archive$/);
  });
});
