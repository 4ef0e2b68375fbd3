import { LocalModeError } from '../../../../src/local/errors';
import { JsonPath } from '../../../../src/local/private/transform/json-path';

const row = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5'];

describe('JsonPath', () => {
  test.each([
    ['$', row, row],
    ['$[0]', row, 'c0'],
    ['$[-1]', row, 'c5'],
    ['$[1:4]', row, ['c1', 'c2', 'c3', 'c4']],
    ['$[4:]', row, ['c4', 'c5']],
    ['$[:1]', row, ['c0', 'c1']],
    ['$[-2:-1]', row, ['c4', 'c5']],
    ['$[0,2,5]', row, ['c0', 'c2', 'c5']],
    ['$[0,2:4]', row, ['c0', 'c2', 'c3', 'c4']],
    ['$.features', { id: 1, features: [1, 2] }, [1, 2]],
    ['$.a.b', { a: { b: 'deep' } }, 'deep'],
    ["$['my field']", { 'my field': 3 }, 3],
    ['$["x"]', { x: 4 }, 4],
    ["$['id','SageMakerOutput']", { id: 1, other: 2, SageMakerOutput: 'p' }, { id: 1, SageMakerOutput: 'p' }],
    ['$.features[1:2]', { features: [10, 11, 12, 13] }, [11, 12]],
    ['$.features[-1]', { features: [10, 11, 12] }, 12],
  ])('GIVEN %s WHEN evaluated THEN selects the right part', (expression, value, expected) => {
    // WHEN
    const result = JsonPath.parse(expression).evaluate(value);
    // THEN
    expect(result).toEqual(expected);
  });

  test.each([
    ['features', /must start with '\$'/],
    ['$..a', /recursive descent/],
    ['$[*]', /wildcard/],
    ['$[?(@.a)]', /filter/],
    ['$[1:2:3]', /slice/],
    ['$[0:2][0]', /must be the last/],
    ['$[0', /never closed/],
    ["$[0,'a']", /cannot be mixed/],
  ])('GIVEN unsupported %s WHEN parsed THEN a clear error names it', (expression, message) => {
    // WHEN / THEN
    expect(() => JsonPath.parse(expression)).toThrow(LocalModeError);
    expect(() => JsonPath.parse(expression)).toThrow(message);
    expect(() => JsonPath.parse(expression)).toThrow(/Supported:/);
  });

  test('GIVEN an index out of range or a missing member WHEN evaluated THEN the error says so', () => {
    expect(() => JsonPath.parse('$[9]').evaluate(row)).toThrow(/index 9 is out of range for an array of 6/);
    expect(() => JsonPath.parse('$.nope').evaluate({ a: 1 })).toThrow(/no member 'nope'/);
    expect(() => JsonPath.parse('$.a').evaluate([1])).toThrow(/not an object/);
  });

  test('GIVEN $ WHEN checked THEN isRoot is true only for it', () => {
    expect(JsonPath.parse('$').isRoot).toBe(true);
    expect(JsonPath.parse(' $ ').isRoot).toBe(true);
    expect(JsonPath.parse('$[0]').isRoot).toBe(false);
  });
});
