import * as fs from 'fs';
import { ProductionVariantInstanceType, TrainingInstanceType, TransformInstanceType } from '@aws-sdk/client-sagemaker';
import { INSTANCE_TABLE_FILE, renderInstanceTypeTable } from '../../scripts/generate-instance-types';
import { allowedInstanceTypes, describeAllowedInstanceTypes } from '../../src/private/instance-types';

describe('instance type table', () => {
  test('is what the installed @aws-sdk/client-sagemaker generates (run `npx projen generate:instance-types` when this fails)', () => {
    expect(fs.readFileSync(INSTANCE_TABLE_FILE, 'utf8')).toEqual(renderInstanceTypeTable());
  });

  test.each([
    ['training', TrainingInstanceType],
    ['transform', TransformInstanceType],
    ['hosting', ProductionVariantInstanceType],
  ] as const)('the %s list holds exactly the SDK enum, sorted', (use, sdkEnum) => {
    expect(allowedInstanceTypes(use)).toEqual([...new Set(Object.values(sdkEnum) as string[])].sort());
  });

  test('the lists differ by use, as SageMaker\'s do', () => {
    expect(allowedInstanceTypes('hosting')).toContain('ml.t2.medium');
    expect(allowedInstanceTypes('training')).not.toContain('ml.t2.medium');
    expect(describeAllowedInstanceTypes('training')).toMatch(/^one of the \d+ training instance types SageMaker accepts \(for example ml\.m5\.large, /);
  });
});
