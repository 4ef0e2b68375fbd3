import { formatCsvRow, parseCsvRow } from '../../../../src/local/private/transform/csv';
import { DataProcessor, recordFormatOf } from '../../../../src/local/private/transform/data-processing';

const b = (s: string) => Buffer.from(s, 'utf8');

describe('CSV rows', () => {
  test('GIVEN quoted fields WHEN parsed and formatted THEN round-trips', () => {
    // GIVEN
    const line = 'a,"b,c","say ""hi""",,4';
    // WHEN
    const fields = parseCsvRow(line);
    // THEN
    expect(fields).toEqual(['a', 'b,c', 'say "hi"', '', '4']);
    expect(formatCsvRow(fields)).toBe(line);
    expect(formatCsvRow('x')).toBe('x');
    expect(formatCsvRow([1, null, 'q"'])).toBe('1,,"q"""');
  });
});

describe('DataProcessor', () => {
  test('GIVEN no filters and no join WHEN created THEN there is nothing to do', () => {
    expect(DataProcessor.create(undefined, 'text/csv', undefined)).toBeUndefined();
    expect(DataProcessor.create({ InputFilter: '$', OutputFilter: '$', JoinSource: 'None' }, 'text/csv', undefined)).toBeUndefined();
  });

  test('GIVEN a CSV input filter WHEN a row is prepared THEN only the selected columns are sent', () => {
    // GIVEN
    const dp = DataProcessor.create({ InputFilter: '$[1:2]' }, 'text/csv', undefined)!;
    // WHEN / THEN
    expect(dp.prepareInput(b('id7,1.5,2.5,x')).toString()).toBe('1.5,2.5');
    expect(DataProcessor.create({ InputFilter: '$[0]' }, 'text/csv', undefined)!.prepareInput(b('a,b')).toString()).toBe('a');
  });

  test('GIVEN CSV with JoinSource Input and an output filter WHEN finished THEN input columns then output columns, filtered', () => {
    // GIVEN
    const dp = DataProcessor.create({ InputFilter: '$[1:]', JoinSource: 'Input', OutputFilter: '$[0,-1]' }, 'text/csv', 'text/csv')!;
    // WHEN
    const joined = dp.finishOutput(b('id7,1,2'), b('3\n'));
    // THEN
    expect(dp.needsInput).toBe(true);
    expect(joined.toString()).toBe('id7,3');
    const plain = DataProcessor.create({ JoinSource: 'Input' }, 'text/csv', undefined)!;
    expect(plain.finishOutput(b('a,b'), b('0.1,0.9')).toString()).toBe('a,b,0.1,0.9');
  });

  test('GIVEN JSON objects WHEN joined THEN the output is added as SageMakerOutput', () => {
    // GIVEN
    const dp = DataProcessor.create({ InputFilter: '$.features', JoinSource: 'Input', OutputFilter: "$['id','SageMakerOutput']" }, 'application/json', 'application/json')!;
    // WHEN
    const sent = dp.prepareInput(b('{"id":1,"features":[1,2],"note":"n"}'));
    const out = dp.finishOutput(b('{"id":1,"features":[1,2],"note":"n"}'), b('{"score":0.5}'));
    // THEN
    expect(sent.toString()).toBe('[1,2]');
    expect(JSON.parse(out.toString())).toEqual({ id: 1, SageMakerOutput: { score: 0.5 } });
  });

  test('GIVEN a JSON array WHEN joined THEN the output is appended', () => {
    const dp = DataProcessor.create({ JoinSource: 'Input' }, 'application/jsonlines', undefined)!;
    expect(dp.finishOutput(b('[1,2]'), b('0.5')).toString()).toBe('[1,2,0.5]');
    expect(dp.finishOutput(b('[1,2]'), b('[3,4]')).toString()).toBe('[1,2,3,4]');
  });

  test('GIVEN a content type that is neither CSV nor JSON WHEN DataProcessing is set THEN a clear error', () => {
    expect(recordFormatOf('text/csv; charset=utf-8')).toBe('csv');
    expect(recordFormatOf('application/x-recordio-protobuf')).toBeUndefined();
    expect(() => DataProcessor.create({ InputFilter: '$[0]' }, 'application/x-recordio-protobuf', undefined))
      .toThrow(/works only with CSV or JSON records, but TransformInput.ContentType is 'application\/x-recordio-protobuf'/);
    expect(() => DataProcessor.create({ JoinSource: 'Output' as any }, 'text/csv', undefined)).toThrow(/JoinSource 'Output' is not valid/);
  });
});
