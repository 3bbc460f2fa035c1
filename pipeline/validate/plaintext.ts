/**
 * The plaintext guard: no secret value in git. A rendered Secret carrying `data` or `stringData`
 * is refused (unless its component declares a `plaintext-secret` exception with the reason), and
 * every string the render writes (environment variables, ConfigMap values and the configuration
 * files they hold, Helm values, arguments) is searched for what looks like a credential: a PEM
 * private key, a known token format, a long high-entropy token, or a literal given to a
 * password-like key. Secret values come from Vault through ExternalSecrets (charts/secrets).
 */
import type { Finding } from '../../model/errors';
import { jsonOf, type ObjectMemo } from '../object-text';
import type { KubeObject, RenderedSite } from '../render';
import { objectId, record } from './context';
import type { SchemaCache } from './schema-cache';

/** What a string carries that a secret would, if anything. */
export function credentialIn(text: string): string | undefined {
  // Most strings (names, labels, paths) hold none of what the checks below look for: one scan rules them out.
  if (!MIGHT_CARRY.test(text)) return undefined;
  if (/-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----/.test(text)) return 'a PEM private key';
  for (const [pattern, what] of KNOWN_TOKENS) if (pattern.test(text)) return what;
  const literal = PASSWORD_LINE.exec(text);
  if (literal && !isReference(literal[2]!)) return `a literal ${literal[1]!.toLowerCase()}`;
  const tokens = text.match(/[A-Za-z0-9+/=_-]{32,}/g);
  if (tokens) for (let i = 0; i < tokens.length; i++) if (isHighEntropy(tokens[i]!)) return 'a high-entropy token';
  return undefined;
}

/**
 * What every check of credentialIn needs somewhere in the string (case aside): a PEM header, a
 * known token's prefix, a password-like key, or a run of 32 token characters.
 */
const MIGHT_CARRY = /PRIVATE KEY|AKIA|ASIA|gh[pousr]_|glpat-|xox[abposr]-|passw(or)?d|secret|api_?key|token|[A-Za-z0-9+/=_-]{32}/i;

/** Known credential formats (AWS access key IDs, GitHub, GitLab and Slack tokens). */
const KNOWN_TOKENS: readonly [RegExp, string][] = [
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/, 'an AWS access key ID'],
  [/\bgh[pousr]_[A-Za-z0-9]{36,}\b/, 'a GitHub token'],
  [/\bglpat-[A-Za-z0-9_-]{20,}\b/, 'a GitLab token'],
  [/\bxox[abposr]-[A-Za-z0-9-]{10,}\b/, 'a Slack token'],
];

/** `password: x`, `password = "x"`, `"secret": "x"` in a configuration file (YAML, INI, JSON, NATS, HCL). */
const PASSWORD_LINE = /["']?\b(password|passwd|secret|secret_?key|client_?secret|api_?key|token)["']?\s*[:=]\s*["']?([^\s"',}]+)/i;

/**
 * A key whose value, given in clear, is a credential: `DB_PASSWORD`, `adminPassword`, `apiToken`,
 * `client_secret`. A bare `secret` counts only as a whole word (`secret`, `tsig.secret`): keys such
 * as `existingSecret` or `tlsSecret` name a Secret, they do not hold one.
 */
const CREDENTIAL_KEY = /((^|[_.-])(secret|secret_?key))$|(password|passwd|api_?key|token|private_?key|client_?secret)$/i;

/**
 * Not a literal: a file path, an environment or template reference (`$VAR`, `${VAR}`, `$(VAR)`,
 * `{{ .x }}`, Argo CD's `$<secret>:<key>`), or a placeholder for one.
 */
function isReference(value: string): boolean {
  return /^(\/|\$|\{\{|<|%|\.\/)/.test(value) || value === '' || value === 'null' || value === 'true' || value === 'false';
}

/** Shannon entropy over 4.5 bits a character, with letters of both cases and digits: random, not a name or a hex digest. */
function isHighEntropy(token: string): boolean {
  if (!/[a-z]/.test(token) || !/[A-Z]/.test(token) || !/[0-9]/.test(token)) return false;
  const counts = new Map<string, number>();
  for (const ch of token) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / token.length) * Math.log2(n / token.length);
  return bits > 4.5;
}

/**
 * Calls `visit` on every string under `value` with the key it sits under and its dotted path,
 * made only when asked for: most strings need none (a walk, not a generator: nested generators
 * re-yield each string once per level; and building every string's path was most of the walk).
 */
function eachString(value: unknown, visit: (key: string, text: string, pathOf: () => string) => void): void {
  const steps: (string | number)[] = [];
  // Indexed loops: code V8 has not optimized allocates an iterator result for each item of a for-of.
  const pathOf = () => {
    let path = '';
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!;
      path = typeof step === 'number' ? `${path}[${step}]` : path ? `${path}.${step}` : step;
    }
    return path;
  };
  const walk = (node: unknown, key: string): void => {
    if (typeof node === 'string') visit(key, node, pathOf);
    else if (Array.isArray(node))
      for (let i = 0; i < node.length; i++) {
        steps.push(i);
        walk(node[i], key);
        steps.pop();
      }
    else if (typeof node === 'object' && node !== null) {
      const keys = Object.keys(node);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        steps.push(k);
        walk((node as Record<string, unknown>)[k], k);
        steps.pop();
      }
    }
  };
  walk(value, '');
}

/**
 * The key a value is given under, where a literal would be a credential in clear: an environment
 * variable's name, a ConfigMap key, a Helm value's key. Elsewhere keys name fields of an API
 * (`secretKey` of an ExternalSecret is the name of a key, not its value).
 */
function credentialKey(object: KubeObject, pathOf: () => string, key: string): string | undefined {
  const path = key === 'value' || object.kind === 'ConfigMap' || object.kind === 'Application' ? pathOf() : '';
  const env = key === 'value' ? /^(.*\.env\[\d+\])\.value$/.exec(path) : null;
  if (env) {
    const entry = env[1]!
      .split(/\.|\[|\]/)
      .filter(Boolean)
      .reduce<unknown>((n, step) => (Array.isArray(n) ? n[Number(step)] : record(n)[step]), object);
    const name = record(entry).name;
    return typeof name === 'string' ? name : undefined;
  }
  if (object.kind === 'ConfigMap' && path.startsWith('data.')) return key;
  if (object.kind === 'Application' && /\.helm\.valuesObject\./.test(path)) return key;
  return undefined;
}

/** Where the guard looks: everything but the metadata (names, labels) and CRD schemas. */
function scanned(object: KubeObject): boolean {
  return object.kind !== 'CustomResourceDefinition';
}

/**
 * Plaintext findings of one site, after the `plaintext-secret` exceptions components declared;
 * an object whose same bytes were found clean before, in this run (`memo`) or an earlier one
 * (`cache`, pipeline/validate/schema-cache.ts), is not searched again.
 */
export function checkPlaintext(site: RenderedSite, memo?: ObjectMemo, cache?: SchemaCache): Finding[] {
  const findings: Finding[] = [];
  for (const component of site.components) {
    const exempt = new Set(component.declarations.policyExceptions.filter((e) => e.rule === 'plaintext-secret').map((e) => e.object));
    for (const object of component.objects) {
      const id = objectId(object);
      // A Helm value belongs to the component whose chart the Application installs.
      const owner = object.kind === 'Application' ? object.metadata.name : component.name;
      const at = (field: string, message: string) => findings.push({ site: site.site.name, component: owner, object: id, field, message });
      if (object.kind === 'Secret' && object.apiVersion === 'v1') {
        for (const field of ['data', 'stringData'])
          if (object[field] !== undefined && !exempt.has(id))
            at(
              field,
              'a Secret with values in git: read them from Vault with a VaultSecret (charts/secrets), or declare the non-secret exception with its reason',
            );
        continue;
      }
      if (!scanned(object)) continue;
      const json = memo ? jsonOf(object) : undefined;
      if (json !== undefined && memo?.plaintextClean.get(json)) continue;
      const key = cache?.plaintextKeyOf(object);
      if (key !== undefined && cache?.wasClean(key)) {
        if (json !== undefined) memo?.plaintextClean.set(json, true);
        continue;
      }
      const before = findings.length;
      const { metadata, ...body } = object;
      void metadata;
      eachString(body, (key, text, pathOf) => {
        const what = credentialIn(text);
        if (what) return void at(pathOf(), `looks like ${what} in clear: put it in Vault and read it through a VaultSecret`);
        const named = credentialKey(object, pathOf, key);
        if (named !== undefined && CREDENTIAL_KEY.test(named) && !isReference(text))
          at(pathOf(), `${named} is given a literal value: put it in Vault and read it through a VaultSecret`);
      });
      if (findings.length === before) {
        if (json !== undefined) memo?.plaintextClean.set(json, true);
        if (key !== undefined) cache?.recordClean(key);
      }
    }
  }
  return findings;
}
