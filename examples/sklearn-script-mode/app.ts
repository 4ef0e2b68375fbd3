import { App } from 'aws-cdk-lib';
import { SklearnScriptModeStack } from './sklearn-stack';

const app = new App();
// A concrete region gives the literal image URI (SageMaker's images are per region).
new SklearnScriptModeStack(app, 'SklearnScriptModeStack', { env: { region: 'us-east-1' } });
app.synth();
