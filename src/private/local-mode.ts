/**
 * The context key that turns local mode on (plain data, no aws-cdk-lib
 * import, so the CLI can read it without loading the construct library).
 * Public as `ByoaPipeline.LOCAL_MODE_CONTEXT_KEY`.
 */
export const LOCAL_MODE_CONTEXT_KEY = 'byoa:localMode';
