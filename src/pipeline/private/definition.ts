import { IResolvable, StringConcat, Token, Tokenization } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/** A definition as one literal string, and what CloudFormation substitutes into it. */
export interface RenderedDefinition {
  /** The Amazon States Language JSON, with `${TokenN}` where a token was. */
  readonly text: string;
  /** `TokenN` to the token it stands for. */
  readonly substitutions: { [key: string]: IResolvable };
}

/**
 * Renders a definition's JSON (with tokens in it) as one literal string, each
 * token replaced by a `${TokenN}` placeholder, for the state machine's
 * `DefinitionSubstitutions`.
 *
 * `Stack.toJsonString`, which `DefinitionBody.fromChainable` uses, keeps the
 * definition as a tree of tokens and renders it as an `Fn::Join` each time
 * the template is resolved, and `cdk synth` resolves each template several
 * times (references, the template itself, the construct tree). A pipeline's
 * definition is large (failure reasons, the endpoint's create-or-update
 * loop), so that was a large share of the synth cost of each pipeline; a
 * literal string costs next to nothing to resolve. CloudFormation puts the
 * same values where the placeholders are, so the deployed definition is the
 * same.
 *
 * Returns undefined when the definition holds what a placeholder cannot
 * stand for (a list token, a token object, a token in a key) or a literal
 * `${`, which CloudFormation would take for a placeholder: the caller then
 * renders it as `Fn::Join`.
 */
export function renderWithPlaceholders(json: object): RenderedDefinition | undefined {
  const keys = new Map<IResolvable, string>();
  const substitutions: { [key: string]: IResolvable } = {};
  const numberMarkers = new Map<string, string>();
  let renderable = true;
  const placeholder = (token: IResolvable): string => {
    let key = keys.get(token);
    if (key === undefined) {
      key = `Token${keys.size}`;
      keys.set(token, key);
      substitutions[key] = token;
    }
    return `\${${key}}`;
  };
  const text = JSON.stringify(json, function replacer(this: any, key: string, converted: unknown) {
    // JSON.stringify has already called a token object's toJSON: look at the value itself.
    const value = key === '' ? converted : this[key];
    if (Token.isUnresolved(key) || key.includes('${')) {
      renderable = false;
    }
    if (typeof value === 'string') {
      if (!Token.isUnresolved(value)) {
        if (value.includes('${')) renderable = false;
        return value;
      }
      const fragments = Tokenization.reverseString(value);
      if (String(fragments.mapTokens({ mapToken: () => '' }).join(new StringConcat()) ?? '').includes('${')) renderable = false;
      return fragments.mapTokens({ mapToken: placeholder }).join(new StringConcat());
    }
    if (typeof value === 'number' && Token.isUnresolved(value)) {
      const token = Tokenization.reverseNumber(value);
      if (!token) {
        renderable = false;
        return value;
      }
      // A number goes into the JSON unquoted: mark it, and unquote it below.
      const marker = `\u0000${numberMarkers.size}\u0000`;
      numberMarkers.set(JSON.stringify(marker), placeholder(token));
      return marker;
    }
    if (Array.isArray(value) && Token.isUnresolved(value)) {
      renderable = false;
    } else if (value !== null && typeof value === 'object' && Tokenization.isResolvable(value)) {
      renderable = false;
    }
    return converted;
  });
  if (!renderable) return undefined;
  let result = text;
  for (const [quotedMarker, replacement] of numberMarkers) {
    result = result.split(quotedMarker).join(replacement);
  }
  return { text: result, substitutions };
}

/**
 * `DefinitionBody.fromChainable`, rendered by {@link renderWithPlaceholders}.
 * It is a `ChainDefinitionBody`, so the state machine still builds the state
 * graph: the states' IAM statements go to its role and the graph's timeout
 * is set. `substitutions` is set by `bind` (the state machine calls it in
 * its constructor) and goes into the state machine's `DefinitionSubstitutions`.
 */
export class SubstitutedDefinitionBody extends sfn.ChainDefinitionBody {
  /** What CloudFormation substitutes into the definition; undefined when it is an `Fn::Join`. */
  public substitutions?: { [key: string]: IResolvable };

  public bind(scope: Construct, sfnPrincipal: iam.IPrincipal, sfnProps: sfn.StateMachineProps, graph?: sfn.StateGraph): sfn.DefinitionConfig {
    if (graph) {
      const json = { ...graph.toGraphJson(sfnProps.queryLanguage), Comment: sfnProps.comment, QueryLanguage: sfnProps.queryLanguage };
      const rendered = renderWithPlaceholders(json);
      if (rendered) {
        this.substitutions = rendered.substitutions;
        return { definitionString: rendered.text };
      }
    }
    return super.bind(scope, sfnPrincipal, sfnProps, graph);
  }
}

/** Puts the body's substitutions on the state machine created with it. */
export function applySubstitutions(stateMachine: sfn.StateMachine, body: SubstitutedDefinitionBody): void {
  const substitutions = body.substitutions;
  if (!substitutions || Object.keys(substitutions).length === 0) return;
  const resource = stateMachine.node.defaultChild as sfn.CfnStateMachine;
  resource.definitionSubstitutions = Object.fromEntries(Object.entries(substitutions).map(([key, token]) => [key, Token.asString(token)]));
}
