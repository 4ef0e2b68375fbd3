/**
 * The base images of a Dockerfile (INTERNAL): which `FROM` images a build
 * pulls, so that local mode can log in to their ECR registries first (a
 * Dockerfile that extends a SageMaker framework image builds only after
 * `docker login` to that image's registry).
 */

/** An ECR registry: `<account>.dkr.ecr.<region>.<domain>`. */
export interface EcrRegistry {
  readonly host: string;
  readonly account: string;
  readonly region: string;
}

const ECR_HOST = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.(amazonaws\.com(?:\.cn)?|amazonaws\.eu|c2s\.ic\.gov|sc2s\.sgov\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)$/;

/** The ECR registry of an image reference, when it is in one. */
export function ecrRegistryOf(image: string): EcrRegistry | undefined {
  const host = image.split('/')[0];
  const m = ECR_HOST.exec(host);
  return m ? { host, account: m[1], region: m[2] } : undefined;
}

/**
 * The images a Dockerfile's `FROM` lines name, with `${ARG}` / `$ARG`
 * references replaced by build arguments or the `ARG` defaults declared
 * before the first `FROM`. Stage names (`FROM builder`) and `scratch` are
 * not images; a reference that stays unresolved is left out.
 */
export function dockerfileBaseImages(dockerfile: string, buildArgs: { [name: string]: string } = {}): string[] {
  const lines = joinContinuations(dockerfile);
  const args: { [name: string]: string } = {};
  const stages = new Set<string>();
  const images: string[] = [];
  let seenFrom = false;
  for (const line of lines) {
    const m = /^\s*(\w+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const instruction = m[1].toUpperCase();
    const rest = m[2].trim();
    if (instruction === 'ARG' && !seenFrom) {
      for (const decl of rest.split(/\s+/)) {
        const eq = decl.indexOf('=');
        const name = eq < 0 ? decl : decl.slice(0, eq);
        const value = buildArgs[name] ?? (eq < 0 ? undefined : substitute(unquote(decl.slice(eq + 1)), args));
        if (value !== undefined) args[name] = value;
      }
    } else if (instruction === 'FROM') {
      seenFrom = true;
      const words = rest.split(/\s+/).filter((w) => !w.startsWith('--'));
      const image = substitute(words[0] ?? '', args);
      if (words[1]?.toUpperCase() === 'AS' && words[2]) stages.add(words[2].toLowerCase());
      if (image && !image.includes('$') && image !== 'scratch' && !stages.has(image.toLowerCase()) && !images.includes(image)) {
        images.push(image);
      }
    }
  }
  return images;
}

function joinContinuations(text: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*#/.test(raw)) continue;
    if (raw.endsWith('\\')) {
      current += raw.slice(0, -1) + ' ';
      continue;
    }
    out.push(current + raw);
    current = '';
  }
  if (current) out.push(current);
  return out;
}

function substitute(word: string, args: { [name: string]: string }): string {
  return word.replace(/\$\{(\w+)(?::?-([^}]*))?\}|\$(\w+)/g, (whole, braced, fallback, bare) => {
    const name = braced ?? bare;
    return args[name] ?? fallback ?? whole;
  });
}

function unquote(value: string): string {
  return /^(["']).*\1$/.test(value) ? value.slice(1, -1) : value;
}
