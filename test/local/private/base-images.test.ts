import { dockerfileBaseImages, ecrRegistryOf } from '../../../src/local/private/base-images';

const PYTORCH = '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.8.0-cpu-py312';

describe('dockerfileBaseImages', () => {
  test('names the FROM image', () => {
    expect(dockerfileBaseImages(`FROM ${PYTORCH}\nRUN echo hi\n`)).toEqual([PYTORCH]);
  });

  test('resolves ARG defaults before the first FROM, and build arguments over them', () => {
    const dockerfile = 'ARG REGION=us-east-1\nARG BASE=763104351884.dkr.ecr.${REGION}.amazonaws.com/pytorch-training:2.8.0-cpu-py312\nFROM $BASE\n';
    expect(dockerfileBaseImages(dockerfile)).toEqual([PYTORCH]);
    expect(dockerfileBaseImages(dockerfile, { REGION: 'eu-west-1' })).toEqual([PYTORCH.replace('us-east-1', 'eu-west-1')]);
    expect(dockerfileBaseImages(dockerfile, { BASE: 'debian:bookworm-slim' })).toEqual(['debian:bookworm-slim']);
  });

  test('skips stage names, scratch, flags, comments and references that stay unresolved', () => {
    const dockerfile = [
      '# FROM not-an-image',
      `FROM --platform=linux/amd64 ${PYTORCH} AS base`,
      'FROM base AS app',
      'FROM scratch',
      'FROM ${UNSET}',
      'from debian:bookworm-slim',
    ].join('\n');
    expect(dockerfileBaseImages(dockerfile)).toEqual([PYTORCH, 'debian:bookworm-slim']);
  });
});

describe('ecrRegistryOf', () => {
  test('account and region of ECR registries in every partition', () => {
    expect(ecrRegistryOf(PYTORCH)).toEqual({ host: '763104351884.dkr.ecr.us-east-1.amazonaws.com', account: '763104351884', region: 'us-east-1' });
    expect(ecrRegistryOf('727897471807.dkr.ecr.cn-north-1.amazonaws.com.cn/pytorch-training:2.8.0-cpu-py312')?.region).toBe('cn-north-1');
    expect(ecrRegistryOf('debian:bookworm-slim')).toBeUndefined();
    expect(ecrRegistryOf('public.ecr.aws/docker/library/python:3')).toBeUndefined();
  });
});
