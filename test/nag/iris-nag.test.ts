import { App, Aspects } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IrisStack } from '../../examples/iris/iris-stack';

test('the iris example stack passes cdk-nag AwsSolutions with no unsuppressed error or warning', () => {
  // GIVEN
  const app = new App();
  const stack = new IrisStack(app, 'IrisStack');

  // WHEN
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  app.synth();

  // THEN
  const errors = Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'));
  const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'));
  expect(errors.map(e => `${e.id}: ${e.entry.data}`)).toEqual([]);
  expect(warnings.map(e => `${e.id}: ${e.entry.data}`)).toEqual([]);
});
