import { Problems } from './validation';

/**
 * The `SM_*` variables the SageMaker training toolkit computes inside
 * framework containers, for script-style containers that expect them.
 * SageMaker sets none of them itself; when a user asks for them, they are put
 * into the request's `Environment`, so the cloud job and local mode see the
 * same values.
 *
 * Rules (the toolkit's): a name is `"SM_" + key.upper()` with nothing else
 * changed; a value is the string itself for strings, else JSON as Python's
 * `json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)`
 * writes it (keys sorted, non-ASCII escaped, floats as Python prints them:
 * `1.0`, `1e+16`). Hyperparameter values are read from their strings as JSON
 * when they parse (`"5"` is the number 5), as the toolkit does. Per-host values
 * (`SM_CURRENT_HOST`) are only set for single-instance jobs, where every
 * container is `algo-1`.
 */
export function smEnvironment(
  channelNames: string[],
  hyperparameters: { [name: string]: string },
  instanceCount: number,
): { [name: string]: string } {
  const hosts = Array.from({ length: instanceCount }, (_, i) => `algo-${i + 1}`);
  const hps: { [name: string]: unknown } = {};
  for (const [key, raw] of Object.entries(hyperparameters)) {
    hps[key] = parseHyperparameter(raw);
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
export function validateSmEnvironment(
  problems: Problems,
  property: string,
  env: { [name: string]: string },
  userEnv: { [name: string]: string },
): void {
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
  return typeof v === 'string' ? v : pythonJson(v);
}

/** A JSON number whose text is kept, so it is written back as Python would. */
class PyNumber {
  constructor(public readonly text: string) {}
}

/**
 * Reads a hyperparameter string as Python's `json.loads` would, keeping the
 * text of every number (Python keeps big integers exact and tells `1.0` from
 * `1`); a string that is not JSON stays a string.
 */
function parseHyperparameter(raw: string): unknown {
  try {
    return new JsonReader(raw).document();
  } catch {
    return raw;
  }
}

/** A small JSON reader (with Python's NaN and Infinity) that keeps number texts. */
class JsonReader {
  private pos = 0;
  constructor(private readonly text: string) {}

  public document(): unknown {
    const v = this.value();
    this.space();
    if (this.pos !== this.text.length) throw new Error('trailing text');
    return v;
  }

  private value(): unknown {
    this.space();
    const rest = this.text.slice(this.pos);
    const c = rest[0];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    for (const [word, v] of [['true', true], ['false', false], ['null', null], ['NaN', new PyNumber('NaN')], ['Infinity', new PyNumber('Infinity')], ['-Infinity', new PyNumber('-Infinity')]] as const) {
      if (rest.startsWith(word)) {
        this.pos += word.length;
        return v;
      }
    }
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(rest);
    if (!m) throw new Error('not JSON');
    this.pos += m[0].length;
    return new PyNumber(m[0]);
  }

  private object(): object {
    const out: { [key: string]: unknown } = {};
    this.pos++;
    this.space();
    if (this.text[this.pos] === '}') { this.pos++; return out; }
    for (;;) {
      this.space();
      const key = this.string();
      this.expect(':');
      out[key] = this.value();
      this.space();
      if (this.text[this.pos] === '}') { this.pos++; return out; }
      this.expect(',');
    }
  }

  private array(): unknown[] {
    const out: unknown[] = [];
    this.pos++;
    this.space();
    if (this.text[this.pos] === ']') { this.pos++; return out; }
    for (;;) {
      out.push(this.value());
      this.space();
      if (this.text[this.pos] === ']') { this.pos++; return out; }
      this.expect(',');
    }
  }

  private string(): string {
    const m = /^"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/.exec(this.text.slice(this.pos));
    if (!m) throw new Error('not a JSON string');
    this.pos += m[0].length;
    return JSON.parse(m[0]);
  }

  private expect(c: string): void {
    this.space();
    if (this.text[this.pos] !== c) throw new Error(`expected ${c}`);
    this.pos++;
  }

  private space(): void {
    while (/[ \t\n\r]/.test(this.text[this.pos] ?? '')) this.pos++;
  }
}

/** `json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=True)`. */
export function pythonJson(v: unknown): string {
  if (v instanceof PyNumber) return pythonNumber(v.text);
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return pythonNumber(JSON.stringify(v));
  if (typeof v === 'string') return JSON.stringify(v).replace(/[\u007f-\uffff]/g, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (Array.isArray(v)) return `[${v.map(pythonJson).join(',')}]`;
  const entries = Object.entries(v as object).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, x]) => `${pythonJson(k)}:${pythonJson(x)}`).join(',')}}`;
}

/** A JSON number's text as Python prints the value `json.loads` gives for it. */
function pythonNumber(text: string): string {
  if (['NaN', 'Infinity', '-Infinity'].includes(text)) return text;
  if (/^-?\d+$/.test(text)) return text.replace(/^-0+$/, '0');
  const x = Number(text);
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  // Shortest round-trip digits, then Python's repr layout: fixed notation for
  // exponents from -4 to 15, else d.ddde+XX.
  const [mantissa, expText] = Math.abs(x).toExponential().split('e');
  const exp = Number(expText);
  const digits = mantissa.replace('.', '');
  const sign = x < 0 ? '-' : '';
  if (exp >= -4 && exp < 16) {
    if (exp >= digits.length - 1) return `${sign}${digits}${'0'.repeat(exp - digits.length + 1)}.0`;
    if (exp >= 0) return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
    return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  }
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}
