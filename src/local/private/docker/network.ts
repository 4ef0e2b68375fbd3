/**
 * Networking of local containers (INTERNAL). Without the default `bridge`
 * network (engines started with `--bridge=none`; a user-defined network
 * with the bridge driver does not count) containers use host networking; a
 * server then binds a free loopback port (set it in
 * `SAGEMAKER_BIND_TO_PORT`). With it, servers publish
 * `-p 127.0.0.1::8080`, and multi-host training jobs get a network of their
 * own.
 */
import * as net from 'net';
import { cleanupRegistry } from './cleanup';
import type { DockerCli, DockerEngineInfo } from './cli';
import { networkCreateArgs } from './commands';
import { LocalModeError } from '../../errors';

/**
 * The network mode for a container: `none` with network isolation, else
 * `host` when the engine has no default bridge network, else `bridge`.
 */
export function networkModeFor(engine: DockerEngineInfo, networkIsolation: boolean): string {
  if (networkIsolation) { return 'none'; }
  return engine.hasBridge ? 'bridge' : 'host';
}

/** A TCP port that is free on 127.0.0.1 right now. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new LocalModeError('Could not find a free port on 127.0.0.1.'))));
    });
  });
}

/** `docker network create NAME` with `docker` and this process's labels, registered for cleanup first. */
export async function createNetwork(docker: DockerCli, name: string): Promise<void> {
  cleanupRegistry.trackNetwork(name, docker);
  await docker.run(networkCreateArgs(name));
}
