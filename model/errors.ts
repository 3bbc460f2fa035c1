/** Where a finding points: every error names the site, the component and the field it is about. */
export interface FindingLocation {
  /** Site name (file sites/<site>.ts), if the finding belongs to one site. */
  readonly site?: string;
  /** Component (directory under gitops/<site>/), if any. */
  readonly component?: string;
  /** Kubernetes object, as `Kind/name`, if any. */
  readonly object?: string;
  /** Dotted path of the field at fault. */
  readonly field?: string;
}

/** One problem found in the model or the rendered objects. */
export interface Finding extends FindingLocation {
  /** What is wrong and what is expected instead. */
  readonly message: string;
}

export function formatFinding(f: Finding): string {
  const where = [
    f.site !== undefined ? `site ${f.site} (sites/${f.site}.ts)` : undefined,
    f.component !== undefined ? `component ${f.component}` : undefined,
    f.object !== undefined ? `object ${f.object}` : undefined,
    f.field !== undefined ? `field ${f.field}` : undefined,
  ].filter((s): s is string => s !== undefined);
  return where.length > 0 ? `${where.join(', ')}: ${f.message}` : f.message;
}

/** Raised when the model or the render is wrong; the CLI prints every finding and exits non-zero. */
export class PlatformError extends Error {
  readonly findings: readonly Finding[];

  constructor(findings: readonly Finding[]) {
    super(findings.map(formatFinding).join('\n'));
    this.name = 'PlatformError';
    this.findings = findings;
  }
}
