import * as logs from 'aws-cdk-lib/aws-logs';

/** A SageMaker training metric definition (`MetricDefinitions[]` entry). */
export interface MetricDefinitionLike {
  readonly name: string;
  readonly regex: string;
}

/** A definition a space-delimited metric filter can express. */
export interface TranslatedDefinition {
  readonly supported: true;
  /** The space-delimited pattern: label field(s) then a `value` field. */
  readonly filterPattern: logs.IFilterPattern;
  /** Always `$value`: the field holding the number. */
  readonly metricValue: string;
  /** The whitespace-separated label tokens that precede the value. */
  readonly labelTokens: string[];
  /** Where in the line the label and value must be. */
  readonly position: 'end' | 'start' | 'whole-line';
}

/** A definition a metric filter cannot express, and why. */
export interface UntranslatableDefinition {
  readonly supported: false;
  readonly reason: string;
}

export type DefinitionTranslation = TranslatedDefinition | UntranslatableDefinition;

type Unit = { kind: 'char'; value: string } | { kind: 'ws' };

const ESCAPABLE_LITERALS = '.:=-/[](){}*+?|^$\\#@,;_"\'%<>!&~`';
const NUMBER_PIECE = /^(?:\\d|\\\.|\[(?:\\d|\\\.|\\-|0-9|[0-9.eE+-])+\]|\(\?:|\)|[+*?]|\{\d+(?:,\d*)?\}|-|\+)+$/;

function unsupported(reason: string): UntranslatableDefinition {
  return { supported: false, reason };
}

/**
 * Splits a SageMaker metric regex into prefix, the single capture group and
 * suffix. Returns a reason string when it does not have exactly one
 * capturing group.
 */
function splitOnCaptureGroup(regex: string): { prefix: string; group: string; suffix: string } | string {
  let start = -1;
  let end = -1;
  let depth = 0;
  let captures = 0;
  let inClass = false;
  for (let i = 0; i < regex.length; i++) {
    const c = regex[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
    } else if (c === '(') {
      const capturing = regex[i + 1] !== '?';
      if (capturing) {
        captures++;
        if (depth === 0 && start < 0) start = i;
      }
      depth++;
    } else if (c === ')') {
      depth--;
      if (depth === 0 && start >= 0 && end < 0) end = i;
    }
  }
  if (captures !== 1 || start < 0 || end < 0) {
    return `its regex has ${captures} capture groups; exactly one is needed`;
  }
  return { prefix: regex.slice(0, start), group: regex.slice(start + 1, end), suffix: regex.slice(end + 1) };
}

/** Is the capture group's content a plain number pattern (digits, '.', sign, exponent)? */
function isNumberPattern(group: string): boolean {
  if (!NUMBER_PIECE.test(group)) return false;
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${group})$`);
  } catch {
    return false;
  }
  const matchesNumber = ['1', '0.5', '10', '12.25'].some((s) => re.test(s));
  const matchesText = ['a', 'x1', 'nan', ':', '=', ' ', ''].some((s) => re.test(s));
  return matchesNumber && !matchesText;
}

/** Turns the regex before the capture group into literal characters and whitespace runs. */
function parsePrefix(prefix: string): { anchored: boolean; units: Unit[] } | string {
  const units: Unit[] = [];
  let anchored = false;
  let i = 0;
  if (prefix.startsWith('^')) {
    anchored = true;
    i = 1;
  }
  const pushWs = () => {
    if (units.length === 0 || units[units.length - 1].kind !== 'ws') units.push({ kind: 'ws' });
  };
  while (i < prefix.length) {
    const c = prefix[i];
    const next = prefix[i + 1];
    if (c === '\\') {
      if (next === 's') {
        const q = prefix[i + 2];
        if (q === '*' || q === '?') return `the whitespace '\\s${q}' before the value is optional, so the value may be glued to the label`;
        pushWs();
        i += q === '+' ? 3 : 2;
        continue;
      }
      if (next !== undefined && ESCAPABLE_LITERALS.includes(next)) {
        units.push({ kind: 'char', value: next });
        i += 2;
        continue;
      }
      return `the label part '${prefix}' uses the regex class '\\${next ?? ''}', which a filter cannot express`;
    }
    if (c === ' ') {
      const q = next;
      if (q === '*' || q === '?') return `the space before '${q}' in '${prefix}' is optional, so the value may be glued to the label`;
      pushWs();
      i += q === '+' ? 2 : 1;
      continue;
    }
    if ('.*+?[](){}|^$'.includes(c)) {
      return `the label part '${prefix}' uses the regex operator '${c}'; only literal text and whitespace can be translated`;
    }
    units.push({ kind: 'char', value: c });
    i++;
  }
  return { anchored, units };
}

/**
 * Translates a SageMaker training metric definition into a CloudWatch Logs
 * space-delimited metric filter, when (and only when) a filter is sure to
 * read the same number.
 *
 * Recognised: `<label><whitespace>(<number regex>)`, where the label is
 * literal text (one or more whitespace-separated tokens, e.g. `loss:`,
 * `val acc`, `accuracy =`) and the number regex uses only digits, `.`,
 * sign and exponent characters (`[0-9\.]+`, `\d+\.\d+`, `[-+0-9.eE]+`...).
 * The result is `[..., label1 = "loss:", value]` with metric value `$value`.
 *
 * Restrictions, all due to what a space-delimited pattern can do:
 * - `label=value` glued in one token (`accuracy=([0-9\.]+)`) is NOT
 *   translatable: a field is a whole whitespace-separated token, so the metric
 *   value would be the text `accuracy=0.93`, not a number, and a filter can
 *   never read a regex capture.
 * - The filter pattern may contain `...` only once, so the label/value pair
 *   must be at the END of the line (`[..., label, value]`), or at the start
 *   when the regex is anchored with `^` (`[label, value, ...]`), or be the
 *   whole line (`^...$`). SageMaker's regex also matches the pair mid-line;
 *   those lines are not counted by the filter.
 * - Labels are compared as whole tokens: `loss:` does not match `val_loss:`
 *   (SageMaker's unanchored regex would).
 * - Text after the capture group other than `$` is not translatable (the
 *   value field would include it).
 */
export function translateMetricDefinition(def: MetricDefinitionLike): DefinitionTranslation {
  const split = splitOnCaptureGroup(def.regex);
  if (typeof split === 'string') return unsupported(split);

  if (!isNumberPattern(split.group)) {
    return unsupported(`the captured value '(${split.group})' is not recognised as a plain number pattern (digits, '.', sign, exponent)`);
  }
  const anchoredEnd = split.suffix === '$';
  if (split.suffix !== '' && !anchoredEnd) {
    return unsupported(`text follows the value ('${split.suffix}'); a space-delimited field would include it, so the value would not be a number`);
  }

  const parsed = parsePrefix(split.prefix);
  if (typeof parsed === 'string') return unsupported(parsed);
  const units = parsed.units;
  while (units.length > 0 && units[0].kind === 'ws') units.shift();
  if (units.length === 0) return unsupported('there is no label before the value');
  if (units[units.length - 1].kind !== 'ws') {
    const text = units.map((u) => (u.kind === 'char' ? u.value : ' ')).join('');
    const lastToken = text.slice(text.lastIndexOf(' ') + 1);
    return unsupported(`the value is glued to the label ('${lastToken}<value>' is one whitespace-separated token); a filter field is a whole token and a filter cannot read a regex capture`);
  }

  const labelTokens: string[] = [];
  let current = '';
  for (const u of units) {
    if (u.kind === 'ws') {
      if (current) labelTokens.push(current);
      current = '';
    } else {
      current += u.value;
    }
  }
  for (const token of labelTokens) {
    if (/["[\]*%]/.test(token)) {
      return unsupported(`the label token '${token}' contains '"', '[', ']', '*' or '%', which space-delimited patterns treat specially`);
    }
  }

  const labelColumns = labelTokens.map((_, idx) => `label${idx + 1}`);
  let position: TranslatedDefinition['position'];
  let columns: string[];
  if (parsed.anchored && anchoredEnd) {
    position = 'whole-line';
    columns = [...labelColumns, 'value'];
  } else if (parsed.anchored) {
    position = 'start';
    columns = [...labelColumns, 'value', '...'];
  } else {
    position = 'end';
    columns = ['...', ...labelColumns, 'value'];
  }
  let pattern = logs.FilterPattern.spaceDelimited(...columns);
  labelTokens.forEach((token, idx) => {
    pattern = pattern.whereString(labelColumns[idx], '=', token);
  });
  return { supported: true, filterPattern: pattern, metricValue: '$value', labelTokens, position };
}

/**
 * A CloudWatch metric name for a SageMaker metric definition name:
 * metric filters reject ':', '*' and '$', which SageMaker names such as
 * `train:accuracy` contain. Those characters become '_'.
 */
export function filterMetricName(definitionName: string): string {
  return definitionName.replace(/[:*$]/g, '_');
}
