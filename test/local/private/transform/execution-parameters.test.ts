import { resolveExecutionParameters, validateRequestedParameters } from '../../../../src/local/private/transform/execution-parameters';

describe('execution parameters', () => {
  test('GIVEN nothing set WHEN resolved THEN SageMaker defaults', () => {
    expect(resolveExecutionParameters({}, undefined)).toEqual({ maxConcurrentTransforms: 1, multiRecord: true, maxPayloadInMB: 6 });
  });

  test.each(['SINGLE_RECORD', 'SingleRecord'])('GIVEN the container answers %s WHEN the request sets nothing THEN the container wins', (strategy) => {
    expect(resolveExecutionParameters({}, { MaxConcurrentTransforms: 8, BatchStrategy: strategy, MaxPayloadInMB: 2 }))
      .toEqual({ maxConcurrentTransforms: 8, multiRecord: false, maxPayloadInMB: 2 });
  });

  test.each(['MULTI_RECORD', 'MultiRecord'])('GIVEN the request sets %s WHEN the container says otherwise THEN the request wins', (strategy) => {
    expect(resolveExecutionParameters({ MaxConcurrentTransforms: 2, BatchStrategy: strategy, MaxPayloadInMB: 0 },
      { MaxConcurrentTransforms: 8, BatchStrategy: 'SINGLE_RECORD', MaxPayloadInMB: 2 }))
      .toEqual({ maxConcurrentTransforms: 2, multiRecord: true, maxPayloadInMB: 0 });
  });

  test('GIVEN invalid request values WHEN validated THEN every problem is listed', () => {
    expect(() => validateRequestedParameters({ MaxPayloadInMB: 101 })).toThrow(/MaxPayloadInMB 101 must be an integer from 0 to 100/);
    expect(() => validateRequestedParameters({ MaxPayloadInMB: 50, MaxConcurrentTransforms: 4 })).toThrow(/4 x 50 = 200 must not exceed 100/);
    expect(() => validateRequestedParameters({ BatchStrategy: 'Everything' })).toThrow(/BatchStrategy 'Everything' is not valid/);
    expect(() => resolveExecutionParameters({}, { BatchStrategy: 'ALL' })).toThrow(/container's \/execution-parameters BatchStrategy 'ALL'/);
  });
});
