/**
 * The instance types SageMaker accepts for each use, taken from the enums of
 * `@aws-sdk/client-sagemaker` (generated from SageMaker's own API model) by
 * `npx projen generate:instance-types`, so they follow the SDK version this
 * library is built with. A test fails when the table and the SDK differ.
 */
import { Token } from 'aws-cdk-lib';
import { INSTANCE_TYPES } from './instance-types.generated';
import type { Problems } from './validation';
import type { InstanceType } from '../instance-type';

export type InstanceUse = keyof typeof INSTANCE_TYPES;

/** The sorted list of instance types allowed for a use. */
export function allowedInstanceTypes(use: InstanceUse): readonly string[] {
  return INSTANCE_TYPES[use];
}

/** A short description of the allowed list, for error messages. */
export function describeAllowedInstanceTypes(use: InstanceUse): string {
  const all = allowedInstanceTypes(use);
  const sample = ['ml.m5.large', 'ml.c5.xlarge', 'ml.t2.medium', 'ml.g5.xlarge'].filter(t => all.includes(t));
  return `one of the ${all.length} ${use} instance types SageMaker accepts (for example ${sample.join(', ')})`;
}

/** Instance families whose instances have local NVMe storage (encrypted by hardware). */
const LOCAL_STORAGE_FAMILIES = new Set(['g5', 'g6', 'g6e', 'gr6', 'p5', 'p5e', 'p5en', 'trn1', 'trn1n', 'trn2']);

/**
 * Whether an instance type has local instance storage. SageMaker rejects a
 * `VolumeKmsKeyId` for those ("You can't request a VolumeKmsKeyId when using
 * an instance type with local storage"). The list of families is this
 * library's (the API model has none): `d`/`dn`/`de` families (m5d, g4dn,
 * p4de, ...) and g5, g6, p5 and trn families.
 */
export function hasLocalStorage(instanceType: string): boolean {
  const family = instanceType.split('.')[1] ?? '';
  return /(d|dn|de)$/.test(family) || LOCAL_STORAGE_FAMILIES.has(family);
}

/** Checks that `instanceType` is in SageMaker's list for `use` (a token is left to deploy time). */
export function checkInstanceType(problems: Problems, property: string, instanceType: InstanceType | undefined, use: InstanceUse): void {
  if (!instanceType) return;
  const name = instanceType.toString();
  if (Token.isUnresolved(name)) return;
  if (!allowedInstanceTypes(use).includes(name)) {
    problems.add(property, name, describeAllowedInstanceTypes(use));
  }
}
