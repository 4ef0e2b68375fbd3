/**
 * The ONE process helper of local mode (INTERNAL). Every external command
 * (every `docker` call, `tar`) goes through {@link runProcess} /
 * {@link startProcess}; a failing command throws {@link CommandError}
 * carrying the command line, the exit code and the tail of stderr.
 */
import { ChildProcess, spawn } from 'child_process';
import { LocalModeError } from '../../errors';


/** A process (usually `docker ...`) exited with an unexpected status. */
export class CommandError extends LocalModeError {
  /** The command line, for messages. */
  public readonly command: string;
  /** Exit code, or -1 when the process was killed by a signal or did not start. */
  public readonly exitCode: number;
  /** The last lines of the process' stderr. */
  public readonly stderrTail: string;

  constructor(command: string, exitCode: number, stderrTail: string, detail?: string) {
    super(`Command failed (exit code ${exitCode}): ${command}`
      + (detail ? `\n${detail}` : '')
      + (stderrTail ? `\n--- stderr (tail) ---\n${stderrTail}` : ''));
    this.name = 'CommandError';
    this.command = command;
    this.exitCode = exitCode;
    this.stderrTail = stderrTail;
  }
}

/** Which output stream a line came from. */
export type OutputStream = 'stdout' | 'stderr';

/** Called once per complete line (without the line break). */
export type LineCallback = (line: string, stream: OutputStream) => void;

export interface ProcessOptions {
  /** Written to stdin, which is then closed. @default - stdin is closed at once */
  readonly input?: string | Buffer;
  /** When set, output is delivered line by line here and NOT kept in the result (except the stderr tail). */
  readonly onLine?: LineCallback;
  /** Throw {@link CommandError} on a non-zero exit. @default true */
  readonly check?: boolean;
  /** Environment of the process. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

export interface ProcessResult {
  /** Exit code; -1 when killed by a signal. */
  readonly exitCode: number;
  readonly signal?: string;
  /** Full stdout (empty when `onLine` was given). */
  readonly stdout: string;
  /** Full stderr (only the tail when `onLine` was given). */
  readonly stderr: string;
}

export interface RunningProcess {
  readonly child: ChildProcess;
  readonly commandLine: string;
  /** Resolves when the process has exited and its output is drained. */
  readonly result: Promise<ProcessResult>;
}

const STDERR_TAIL_BYTES = 8192;

/** Start a process; see {@link runProcess}. */
export function startProcess(command: string, args: string[], options: ProcessOptions = {}): RunningProcess {
  const commandLine = formatCommand(command, args);
  const child = spawn(command, args, {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const check = options.check ?? true;
  const result = new Promise<ProcessResult>((resolve, reject) => {
    const stdoutChunks: Buffer[] = [];
    let stderrText = '';
    const splitters = options.onLine ? {
      stdout: new OutputLineSplitter((l) => options.onLine!(l, 'stdout')),
      stderr: new OutputLineSplitter((l) => options.onLine!(l, 'stderr')),
    } : undefined;
    child.stdout!.on('data', (chunk: Buffer) => {
      if (splitters) { splitters.stdout.push(chunk); } else { stdoutChunks.push(chunk); }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      if (splitters) {
        splitters.stderr.push(chunk);
        stderrText = (stderrText + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
      } else {
        stderrText += chunk.toString('utf8');
      }
    });
    child.once('error', (err) => {
      reject(new CommandError(commandLine, -1, '', `The process could not be started: ${err.message}`));
    });
    child.once('close', (code, signal) => {
      splitters?.stdout.end();
      splitters?.stderr.end();
      const res: ProcessResult = {
        exitCode: code ?? -1,
        signal: signal ?? undefined,
        stdout: Buffer.concat(stdoutChunks).toString('utf8'),
        stderr: stderrText,
      };
      if (check && res.exitCode !== 0) {
        reject(new CommandError(commandLine, res.exitCode, tail(res.stderr, 20)));
      } else {
        resolve(res);
      }
    });
    child.stdin!.on('error', () => { /* process exited before reading stdin: reported by 'close' */ });
    if (options.input !== undefined) {
      child.stdin!.end(options.input);
    } else {
      child.stdin!.end();
    }
  });
  return { child, commandLine, result };
}

/**
 * Run a process to completion. Every external command of local mode goes
 * through here. Throws {@link CommandError} (command, exit code, stderr tail)
 * when it exits non-zero, unless `check: false`.
 */
export function runProcess(command: string, args: string[], options: ProcessOptions = {}): Promise<ProcessResult> {
  return startProcess(command, args, options).result;
}

/** Splits a process's output stream into lines (`\n` or `\r\n`), UTF-8 safe. */
export class OutputLineSplitter {
  private pending: Buffer = Buffer.alloc(0);
  constructor(private readonly onLine: (line: string) => void) {}

  public push(chunk: Buffer): void {
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let nl = buf.indexOf(10);
    while (nl >= 0) {
      this.emit(buf.subarray(0, nl));
      buf = buf.subarray(nl + 1);
      nl = buf.indexOf(10);
    }
    this.pending = Buffer.from(buf);
  }

  public end(): void {
    if (this.pending.length) { this.emit(this.pending); }
    this.pending = Buffer.alloc(0);
  }

  private emit(bytes: Buffer): void {
    let line = bytes.toString('utf8');
    if (line.endsWith('\r')) { line = line.slice(0, -1); }
    this.onLine(line);
  }
}

/** The last `lines` lines of `text`, trimmed. */
export function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** A command line for messages (arguments with spaces quoted). */
export function formatCommand(command: string, args: string[]): string {
  return [command, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, '\'\\\'\'')}'`)).join(' ');
}
