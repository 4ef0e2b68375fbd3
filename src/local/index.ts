// Public API of local mode (jsii-compatible exports only).
// Everything under ./private is internal and NOT exported here. Nor are the
// error classes (LocalModeError, ModelError in ./errors): jsii cannot export a
// subclass of Error. They are recognised by `error.name`; ModelError also has
// `originalStatusCode` and `originalMessage` (documented on LocalEndpoint.invoke).
export * from './docker-runner';
export * from './local-endpoint';
export * from './local-types';
