import { App } from 'aws-cdk-lib';
import { TensorflowScriptModeStack } from './tensorflow-stack';

const app = new App();
new TensorflowScriptModeStack(app, 'TensorflowScriptModeStack', { env: { region: 'us-east-1' } });
app.synth();
