import { Problems } from './validation';

/**
 * The `SM_*` variables the SageMaker training toolkit computes inside
 * framework containers, for script-style containers that expect them.
 * SageMaker sets none of them itself; when a user asks for them, they are put
 * into the request's `Environment`, so the cloud job and local mode see the
 * same values.
 *
 * Rules (the toolkit's): a name is `"SM_" + key.upper()` with nothing else
 * changed; a value is the string itself for strings, compact JSON for anything
 * else. Hyperparameter values are read from their strings as JSON when they
 * parse (`"5"` is the number 5), as the toolkit does. Per-host values
 * (`SM_CURRENT_HOST`) are only set for single-instance jobs, where every
 * container is `algo-1`.
 */
export function smEnvironment(channelNames: string[], hyperparameters: { [name: string]: string }, instanceCount: number): { [name: string]: string } {
  const hosts = Array.from({ length: instanceCount }, (_, i) => `algo-${i + 1}`);
  const hps: { [name: string]: unknown } = {};
  for (const [name, value] of Object.entries(hyperparameters)) {
    hps[name] = parseHyperparameter(value);
  }
  const env: { [name: string]: string } = {
    SM_MODEL_DIR: '/opt/ml/model',
    SM_INPUT_DIR: '/opt/ml/input',
    SM_INPUT_CONFIG_DIR: '/opt/ml/input/config',
    SM_OUTPUT_DIR: '/opt/ml/output',
    SM_OUTPUT_DATA_DIR: '/opt/ml/output/data',
    SM_CHANNELS: value([...channelNames].sort()),
    SM_HPS: value(hps),
    SM_HOSTS: value(hosts),
  };
  if (instanceCount === 1) {
    env.SM_CURRENT_HOST = 'algo-1';
  }
  for (const channel of channelNames) {
    env[name('channel_' + channel)] = `/opt/ml/input/data/${channel}`;
  }
  for (const [key, parsed] of Object.entries(hps)) {
    env[name('hp_' + key)] = value(parsed);
  }
  return env;
}

/** Checks that the variables fit in a training request's `Environment`. */
export function validateSmEnvironment(problems: Problems, property: string, env: { [name: string]: string }, userEnv: { [name: string]: string }): void {
  for (const key of Object.keys(env)) {
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(key)) {
      problems.addMessage(property, `the toolkit variable ${JSON.stringify(key)} is not a valid Environment key ([a-zA-Z_][a-zA-Z0-9_]*): rename the channel or hyperparameter, or turn smEnvironment off`);
    } else if (key in userEnv) {
      problems.addMessage(property, `environment variable ${key} is set by smEnvironment; remove it from training.environment`);
    }
  }
}

function name(key: string): string {
  return `SM_${key.toUpperCase()}`;
}

function value(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function parseHyperparameter(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
