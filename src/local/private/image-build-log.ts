/**
 * What the user sees of an asset image build (INTERNAL). `docker build`
 * prints every line of every `RUN` (an `apt-get install` is hundreds):
 * local mode keeps all of them in a log file and shows one progress line
 * per build step ("step 3 of 7: RUN ..."), from the classic builder's
 * `Step 3/7 : RUN ...` lines and BuildKit's plain `#6 [3/7] RUN ...` lines.
 * A failed build is reported with the step it stopped at and the tail of
 * the log. With `verbose`, every line is passed on as well.
 */
import * as fs from 'fs';
import type { LineCallback, OutputStream } from './docker';
import { explainFileSystemError } from './fs-errors';
import { imageBuildLogPath } from './work-dir';
import { LocalModeError } from '../errors';

/** Lines of the log kept in memory for the failure message. */
const TAIL_LINES = 25;
/** Longest instruction shown in a progress line. */
const INSTRUCTION_CHARS = 100;

/** A build step announced by the builder. */
export interface BuildStep {
  readonly step: number;
  readonly steps: number;
  /** The Dockerfile instruction, e.g. `RUN apt-get update`. */
  readonly instruction: string;
}

/**
 * The step that a line of `docker build` output announces, if any: the
 * classic builder's `Step 3/7 : RUN x`, or BuildKit's `#6 [3/7] RUN x`
 * (also `#6 [stage 3/7] RUN x` in a multi-stage build).
 */
export function buildStepOf(line: string): BuildStep | undefined {
  const m = /^Step (\d+)\/(\d+) : (.*)$/.exec(line) ?? /^#\d+ \[(?:[^\]\s]+ )?(\d+)\/(\d+)\] (.*)$/.exec(line);
  return m ? { step: Number(m[1]), steps: Number(m[2]), instruction: m[3].trim() } : undefined;
}

export interface ImageBuildLogOptions {
  /** The image being built (named in the progress lines and the failure). */
  readonly tag: string;
  /** Folder of the log file; created if missing. @default - no file, only the tail in memory */
  readonly logDir?: string;
  /** Where progress lines (and, with `verbose`, every line) go. */
  readonly onLine?: LineCallback;
  /** Pass on every line of the build, not only the steps. @default false */
  readonly verbose?: boolean;
}

/** The output of one image build: see the module comment. */
export class ImageBuildLog {
  /** The log file, when it could be created. */
  public readonly file?: string;
  private fd?: number;
  /** The first failure to create or write the log file: writing stops, and the user is told. */
  private writeError?: unknown;
  private readonly tail: string[] = [];
  private current?: BuildStep;

  constructor(private readonly options: ImageBuildLogOptions) {
    if (!options.logDir) return;
    const file = imageBuildLogPath(options.logDir, options.tag);
    try {
      fs.mkdirSync(options.logDir, { recursive: true });
      this.fd = fs.openSync(file, 'w');
      this.file = file;
    } catch (e) {
      // The log is a convenience: the build goes on without it, and says so.
      this.writeError = explainFileSystemError(e, 'Creating the image build log', file);
    }
  }

  /** The line callback to give `docker build`. */
  public readonly onLine: LineCallback = (line: string, stream: OutputStream) => {
    if (this.fd !== undefined) {
      try {
        fs.writeSync(this.fd, line + '\n');
      } catch (e) {
        this.writeError = explainFileSystemError(e, 'Writing the image build log', this.file!);
        this.closeFile();
      }
    }
    // The classic builder colours a RUN's stderr (ESC[91m ... ESC[0m).
    this.tail.push(withoutColours(line));
    if (this.tail.length > TAIL_LINES) this.tail.shift();
    if (this.options.verbose) {
      this.options.onLine?.(line, stream);
      return;
    }
    const step = buildStepOf(line);
    if (step) {
      this.current = step;
      this.options.onLine?.(`Building image ${this.options.tag}: step ${step.step} of ${step.steps}: ${shorten(step.instruction)}`, 'stdout');
    }
  };

  /** The first progress line: what is built, from where, and where the full log goes. */
  public start(context: string): void {
    const log = this.file ? ` (full log: ${this.file})`
      : this.writeError ? ` (its full log is not kept: ${(this.writeError as Error).message})` : '';
    this.options.onLine?.(`Building image ${this.options.tag} from ${context}${log}`, 'stdout');
  }

  /** Closes the log file, saying so when it could not be written to the end (a full disk). */
  public close(): void {
    this.closeFile();
    if (this.writeError && this.file) {
      this.options.onLine?.(`Warning: the build log ${this.file} is incomplete: ${(this.writeError as Error).message}`, 'stderr');
    }
  }

  /**
   * The error for a build that failed with `cause`: the step it stopped
   * at, the last lines of its output, and where the whole log is.
   */
  public failure(cause: Error): LocalModeError {
    const where = this.current ? ` at step ${this.current.step} of ${this.current.steps} (${shorten(this.current.instruction)})` : '';
    const exit = /exit code (-?\d+)/.exec(cause.message)?.[1];
    const lines = this.tail.length ? `\n--- last ${this.tail.length} lines of the build ---\n${this.tail.join('\n')}` : '';
    return new LocalModeError(`Building the image ${this.options.tag} failed${where}${exit ? ` (docker build exit code ${exit})` : ''}`
      + (this.file && !this.writeError ? `; the full log is ${this.file}` : '') + `.${lines}`
      + (this.tail.length ? '' : `\n${cause.message}`));
  }

  private closeFile(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    fs.closeSync(fd);
  }
}

function withoutColours(line: string): string {
  // eslint-disable-next-line no-control-regex
  return line.replace(/\x1b\[[0-9;]*m/g, '');
}

function shorten(text: string): string {
  return text.length <= INSTRUCTION_CHARS ? text : `${text.slice(0, INSTRUCTION_CHARS - 3)}...`;
}
