/**
 * Turns the container's answer to one payload into the bytes of the `.out`
 * file (INTERNAL): as is, with `AssembleWith: Line` a line break after an
 * answer that has none, and with an `OutputFilter` or a join, the answer
 * cut into one output per record and finished by the data processor.
 */
import type { DataProcessor } from './data-processing';
import { describeRecords, FileFailure } from './file-failure';
import type { Payload } from './packing';

const NEWLINE = Buffer.from('\n');

export interface AnswerAssemblyOptions {
  /** `AssembleWith: Line`. */
  readonly assembleLines: boolean;
  /** Whether an answer holds one output line per record (MultiRecord with a SplitType). */
  readonly perLineOutput: boolean;
  readonly dataProcessor?: DataProcessor;
}

/** See the module comment. */
export class AnswerAssembly {
  constructor(private readonly o: AnswerAssemblyOptions) {}

  /** The parts to write for `body`, the answer to `payload` (whose first record is number `firstRecord`). */
  public assemble(body: Buffer, payload: Payload, firstRecord: number): Buffer[] {
    const dp = this.o.dataProcessor;
    if (!dp || !dp.processesOutput) {
      if (!this.o.assembleLines) return [body];
      return body.length > 0 && body[body.length - 1] === 0x0a ? [body] : [body, NEWLINE];
    }
    const outputs = this.o.perLineOutput ? outputLines(body) : [body];
    if (dp.needsInput && outputs.length !== payload.records) {
      throw new FileFailure(`JoinSource Input needs one output line per input record, but the container answered ${outputs.length} lines for ${describeRecords(payload, firstRecord)} (${payload.records} records).`);
    }
    const parts: Buffer[] = [];
    outputs.forEach((out, i) => {
      let finished: Buffer;
      try {
        finished = dp.finishOutput(payload.originals?.[i], out);
      } catch (e) {
        throw new FileFailure(`DataProcessing failed on the output of ${describeRecords(payload, firstRecord)}: ${(e as Error).message}`);
      }
      parts.push(finished);
      if (this.o.assembleLines) parts.push(NEWLINE);
    });
    return parts;
  }
}

/** The lines of an answer (a last line break and `\r` line ends dropped; none in an empty answer). */
function outputLines(body: Buffer): Buffer[] {
  const text = body.toString('utf8');
  const trimmed = text.endsWith('\n') ? text.slice(0, -1) : text;
  return trimmed === '' ? [] : trimmed.split('\n').map((l) => Buffer.from(l.endsWith('\r') ? l.slice(0, -1) : l, 'utf8'));
}
