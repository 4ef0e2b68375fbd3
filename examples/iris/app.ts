import { App } from 'aws-cdk-lib';
import { IrisStack } from './iris-stack';

const app = new App();
new IrisStack(app, 'IrisStack');
app.synth();
