/**
 * Where the benchmarks' serving containers run (shared by
 * bench/local-transform.ts and bench/loopback-client.ts). The serving
 * fixture is Python's `ThreadingHTTPServer`: one thread per connection under
 * one GIL. Free to run on every core, its threads fight over the GIL from
 * different cores whenever the client's core is idle, so its own cost per
 * request depends on how fast the client is, and a client benchmark would
 * measure the fixture. By default every container is pinned to the last
 * CPU (`docker run --cpuset-cpus`); bench/loopback-client.ts shows the
 * effect.
 *
 *   BENCH_SERVER_CPUS=all   leave the containers unpinned
 *   BENCH_SERVER_CPUS=0-1   any other `--cpuset-cpus` value
 */
import * as os from 'os';
import { DockerCli } from '../src/local/private/docker';

/** `--cpuset-cpus` of every container, or undefined (see the module comment). */
export const SERVER_CPUS = process.env.BENCH_SERVER_CPUS === 'all'
  ? undefined
  : process.env.BENCH_SERVER_CPUS ?? (os.cpus().length > 1 ? String(os.cpus().length - 1) : undefined);

/** The Docker CLI with `--cpuset-cpus` added to every `docker run`. */
class PinnedDockerCli extends DockerCli {
  constructor(executable: string, private readonly cpus: string) {
    super(executable);
  }

  public run(args: string[], options?: Parameters<DockerCli['run']>[1]) {
    return super.run(this.pin(args), options);
  }

  public start(args: string[], options?: Parameters<DockerCli['start']>[1]) {
    return super.start(this.pin(args), options);
  }

  private pin(args: string[]): string[] {
    return args[0] === 'run' ? ['run', '--cpuset-cpus', this.cpus, ...args.slice(1)] : args;
  }
}

/** The Docker CLI of every call of a benchmark (`$CDK_DOCKER`, else `docker`), pinning as set. */
export function benchDocker(): DockerCli {
  const plain = DockerCli.fromEnvironment();
  return SERVER_CPUS ? new PinnedDockerCli(plain.executable, SERVER_CPUS) : plain;
}

/** Says where the containers run. */
export function describeServerCpus(): string {
  return SERVER_CPUS ? `pinned to CPU ${SERVER_CPUS}` : 'not pinned';
}
