/**
 * AWS SDK packages that only some code paths call, loaded on first use.
 * Every `cdk synth` of an app loads this library, and loading one SDK client
 * package costs it 40-170 ms, so a module that `cdk synth` loads too (local
 * mode's runners) takes its SDK from here rather than importing it at the
 * top. Types still come from `import type`, which loads nothing.
 */
import type * as ecr from '@aws-sdk/client-ecr';
import type * as s3 from '@aws-sdk/client-s3';

/* eslint-disable @typescript-eslint/no-require-imports */

/** `@aws-sdk/client-ecr`, loaded on first call. */
export function ecrSdk(): typeof ecr {
  return require('@aws-sdk/client-ecr');
}

/** `@aws-sdk/client-s3`, loaded on first call. */
export function s3Sdk(): typeof s3 {
  return require('@aws-sdk/client-s3');
}
