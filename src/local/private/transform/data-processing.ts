import type { DataProcessing } from '@aws-sdk/client-sagemaker';
import { formatCsvRow, parseCsvRow } from './csv';
import { JsonPath } from './json-path';
import { LocalModeError } from '../../errors';

/** Record format that `DataProcessing` understands. */
export type RecordFormat = 'csv' | 'json';

/** The format of a MIME type, or undefined when DataProcessing cannot read it. */
export function recordFormatOf(mimeType: string | undefined): RecordFormat | undefined {
  if (!mimeType) return undefined;
  const type = mimeType.split(';')[0].trim().toLowerCase();
  if (type === 'text/csv' || type.endsWith('/csv')) return 'csv';
  if (type.includes('json')) return 'json';
  return undefined;
}

/**
 * Batch transform's `DataProcessing`, applied to one record at a time:
 * `InputFilter` before the record is sent, then `JoinSource: Input` (joins
 * the ORIGINAL record with the model's output) and `OutputFilter` on the
 * result. A CSV row is treated as a JSON array of strings.
 *
 * Joins: CSV input → the input's columns then the output's columns; JSON
 * object → the output added as member `SageMakerOutput`; JSON array → the
 * output appended (an array output is appended element by element, like CSV
 * columns).
 */
export class DataProcessor {
  /**
   * Returns a processor, or undefined when the settings change nothing
   * (no DataProcessing, or `$` filters and no join), so the hot path does
   * no parsing at all.
   */
  public static create(
    dataProcessing: DataProcessing | undefined,
    contentType: string | undefined,
    accept: string | undefined,
  ): DataProcessor | undefined {
    if (!dataProcessing) return undefined;
    const inputFilter = JsonPath.parse(dataProcessing.InputFilter ?? '$');
    const outputFilter = JsonPath.parse(dataProcessing.OutputFilter ?? '$');
    const joinSource = dataProcessing.JoinSource ?? 'None';
    if (joinSource !== 'None' && joinSource !== 'Input') {
      throw new LocalModeError(`DataProcessing.JoinSource '${joinSource}' is not valid: use 'Input' or 'None'.`);
    }
    const join = joinSource === 'Input';
    if (inputFilter.isRoot && outputFilter.isRoot && !join) return undefined;
    const inputFormat = recordFormatOf(contentType);
    if (!inputFormat) {
      throw new LocalModeError(
        `DataProcessing (InputFilter/OutputFilter/JoinSource) works only with CSV or JSON records, but TransformInput.ContentType is '${contentType ?? '(not set)'}'. ` +
        "Set ContentType to 'text/csv' or 'application/json' (or 'application/jsonlines'), or remove DataProcessing.",
      );
    }
    const outputFormat = recordFormatOf(accept) ?? inputFormat;
    return new DataProcessor(inputFilter, outputFilter, join, inputFormat, outputFormat);
  }

  private constructor(
    private readonly inputFilter: JsonPath,
    private readonly outputFilter: JsonPath,
    private readonly join: boolean,
    private readonly inputFormat: RecordFormat,
    private readonly outputFormat: RecordFormat,
  ) {}

  /** Whether {@link finishOutput} needs the original input record. */
  public get needsInput(): boolean {
    return this.join;
  }

  /** Whether {@link prepareInput} changes the records at all (an `InputFilter` other than `$`). */
  public get changesInput(): boolean {
    return !this.inputFilter.isRoot;
  }

  /** Whether {@link finishOutput} changes the output at all. */
  public get processesOutput(): boolean {
    return this.join || !this.outputFilter.isRoot;
  }

  /** Applies `InputFilter` to one record (bytes without line terminator). */
  public prepareInput(record: Buffer): Buffer {
    if (this.inputFilter.isRoot) return record;
    const value = parseRecord(record.toString('utf8'), this.inputFormat);
    const selected = this.inputFilter.evaluate(value);
    return Buffer.from(formatRecord(selected, this.inputFormat), 'utf8');
  }

  /**
   * Joins the original record with one output record (when `JoinSource` is
   * `Input`) and applies `OutputFilter`. Returns the text without a line
   * terminator.
   */
  public finishOutput(original: Buffer | undefined, output: Buffer): Buffer {
    if (!this.processesOutput) return output;
    const outputText = stripLineEnd(output.toString('utf8'));
    let value: unknown;
    let format: RecordFormat;
    if (this.join) {
      if (!original) throw new LocalModeError('DataProcessing JoinSource Input needs the input record, but none was kept (internal error).');
      const input = parseRecord(original.toString('utf8'), this.inputFormat);
      const result = parseRecord(outputText, this.outputFormat, true);
      value = joinRecords(input, result, this.outputFormat);
      format = this.inputFormat;
    } else {
      value = parseRecord(outputText, this.outputFormat, true);
      format = this.outputFormat;
    }
    const filtered = this.outputFilter.evaluate(value);
    return Buffer.from(formatRecord(filtered, format), 'utf8');
  }
}

function stripLineEnd(text: string): string {
  if (text.endsWith('\r\n')) return text.slice(0, -2);
  if (text.endsWith('\n')) return text.slice(0, -1);
  return text;
}

function parseRecord(text: string, format: RecordFormat, lenient = false): unknown {
  if (format === 'csv') return parseCsvRow(stripLineEnd(text));
  try {
    return JSON.parse(text);
  } catch (e) {
    if (lenient) return text;
    throw new LocalModeError(`DataProcessing could not parse a JSON record (${(e as Error).message}): ${text.slice(0, 200)}`);
  }
}

function formatRecord(value: unknown, format: RecordFormat): string {
  return format === 'csv' ? formatCsvRow(value) : JSON.stringify(value);
}

function joinRecords(input: unknown, output: unknown, outputFormat: RecordFormat): unknown {
  if (Array.isArray(input)) {
    return Array.isArray(output) ? [...input, ...output] : [...input, output];
  }
  if (input !== null && typeof input === 'object') {
    const single = outputFormat === 'csv' && Array.isArray(output) && output.length === 1 ? output[0] : output;
    return { ...(input as Record<string, unknown>), SageMakerOutput: single };
  }
  throw new LocalModeError('DataProcessing JoinSource Input needs each input record to be a CSV row, a JSON array or a JSON object.');
}
