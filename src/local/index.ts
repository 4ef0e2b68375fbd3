// Public API of local mode (jsii-compatible exports only).
// Internal modules (docker.ts, image.ts, cloud-assembly.ts, private/**) are NOT exported here.
// Nor are the error classes (LocalModeError, ModelError): jsii cannot export a
// subclass of Error. They are recognised by `error.name`; ModelError also has
// `originalStatusCode` and `originalMessage` (documented on LocalEndpoint.invoke).
export * from './docker-runner';
export * from './hosting';
export * from './transform/local-transform';
export * from './transform/progress';
