/** How a transform input file is cut into records. */
export enum SplitType {
  /** The whole file is one request. */
  NONE = 'None',
  /** One record per line. */
  LINE = 'Line',
  /** MXNet RecordIO records. */
  RECORD_IO = 'RecordIO',
  /** TensorFlow TFRecord records. */
  TF_RECORD = 'TFRecord',
}

/** How many records go into one request (needs a split type other than NONE). */
export enum BatchStrategy {
  /** As many whole records as fit in the maximum payload. */
  MULTI_RECORD = 'MultiRecord',
  /** One record per request. */
  SINGLE_RECORD = 'SingleRecord',
}

/** How the responses of one input file are assembled into its `.out` file. */
export enum AssembleWith {
  /** Responses concatenated as bytes. */
  NONE = 'None',
  /** A newline after every record. */
  LINE = 'Line',
}

/** Which data is joined with the output record. */
export enum JoinSource {
  /** Output only. */
  NONE = 'None',
  /** The input record joined with the output. */
  INPUT = 'Input',
}
