/**
 * Docker plumbing shared by every local runner (training, batch transform,
 * real-time endpoint), INTERNAL. One concern per module:
 *
 * - `process.ts`: the ONE process helper and `CommandError`;
 * - `cli.ts`: `DockerCli`, the CLI object every docker call goes through (which
 *   executable, and whether an engine answers), passed explicitly;
 * - `commands.ts`: EVERY docker argument list;
 * - `container.ts`: foreground and detached containers;
 * - `cleanup.ts`: what this process created, removed on every path;
 * - `network.ts`: network modes, free ports, job networks;
 * - `ownership.ts`: giving root-written files back to the user;
 * - `sigterm.ts`: the note for containers that ignore SIGTERM.
 *
 * Image preparation (build of an asset, ECR login and pull) lives in
 * `../image.ts`.
 */
export * from './cleanup';
export * from './cli';
export * from './commands';
export * from './container';
export * from './network';
export * from './ownership';
export * from './process';
export * from './sigterm';
