/** How a training channel's data reaches the container. */
export enum InputMode {
  /** Downloaded to `/opt/ml/input/data/<channel>/` before `train` starts. */
  FILE = 'File',
  /** Streamed through a FIFO `/opt/ml/input/data/<channel>_<epoch>`. */
  PIPE = 'Pipe',
  /** Mounted read-only and streamed on demand. */
  FAST_FILE = 'FastFile',
}

/** Compression of a channel's or transform input's objects. */
export enum CompressionType {
  /** Not compressed. */
  NONE = 'None',
  /** Gzip-compressed. */
  GZIP = 'Gzip',
}

/** How a channel's objects are spread over the instances of a multi-instance job. */
export enum S3DataDistribution {
  /** Every instance gets every object. */
  FULLY_REPLICATED = 'FullyReplicated',
  /** Each instance gets a share of the objects, by key. */
  SHARDED_BY_S3_KEY = 'ShardedByS3Key',
}

/** Record wrapping of a channel's data. */
export enum RecordWrapperType {
  /** Records as they are. */
  NONE = 'None',
  /** Each record wrapped in RecordIO. */
  RECORD_IO = 'RecordIO',
}

/** What the S3 location of an input names. */
export enum S3DataType {
  /** Every object under the key prefix. */
  S3_PREFIX = 'S3Prefix',
  /** A manifest file that lists the objects. */
  MANIFEST_FILE = 'ManifestFile',
  /** An augmented manifest (JSON lines with attribute names). */
  AUGMENTED_MANIFEST_FILE = 'AugmentedManifestFile',
}
