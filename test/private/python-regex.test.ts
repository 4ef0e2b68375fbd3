import { compilePythonRegex, translatePythonRegex } from '../../src/private/python-regex';

describe('Python metric regexes', () => {
  test.each([
    ['loss=(?P<loss>[0-9.]+)', 'loss=(?<loss>[0-9.]+)', ''],
    ['(?P<v>a)(?P=v)', '(?<v>a)\\k<v>', ''],
    ['\\Aloss=(\\d+)\\Z', '(?<![\\s\\S])loss=(\\d+)(?![\\s\\S])', ''],
    ['(?im)^acc=(\\d+)', '^acc=(\\d+)', 'im'],
    ['(?u)x=(\\d)', 'x=(\\d)', ''],
    // escapes and character classes are left alone
    ['\\(?P<x=(\\d)', '\\(?P<x=(\\d)', ''],
    ['[(?P<]=(\\d)', '[(?P<]=(\\d)', ''],
    ['[]\\]]=(\\d)', '[]\\]]=(\\d)', ''],
  ])('%s', (python, source, flags) => {
    expect(translatePythonRegex(python)).toEqual({ source, flags });
  });

  test('verbose mode is refused with a reason', () => {
    expect(() => translatePythonRegex('(?x) a b')).toThrow(/verbose mode \(\?x\) is not supported/);
  });

  test('the translation matches what Python would', () => {
    const re = compilePythonRegex('(?i)\\AEpoch (?P<n>\\d+): loss=(?P<loss>[0-9.]+)');
    expect(re.exec('epoch 3: LOSS=0.25')?.slice(1)).toEqual(['3', '0.25']);
    expect(re.exec('x epoch 3: loss=0.25')).toBeNull();
  });
});
