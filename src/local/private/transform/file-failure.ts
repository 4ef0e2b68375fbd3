/**
 * The failure of one input file of a transform (INTERNAL): its message
 * becomes the job's FailureReason. Shared by the invoker, the answer
 * assembly and the engine.
 */
import type { Payload } from './packing';

/** A file's failure, with the message that becomes the job's FailureReason. */
export class FileFailure extends Error {}

/** `record N` or `records N-M`, for messages (built only when one is needed). */
export function describeRecords(payload: Payload, firstRecord: number): string {
  return payload.records === 1 ? `record ${firstRecord}` : `records ${firstRecord}-${firstRecord + payload.records - 1}`;
}
