/**
 * The findings of one site's render, the one way a chart says the model is wrong. Components
 * report them (`PlatformComponent.report`, or by throwing a PlatformError); the registry builds each
 * component, and the render serializes each, through `attribute`, which records anything thrown
 * against that component. The render then throws every finding at once. Nothing is rethrown
 * through cdk8s: it wraps what a resolver throws into a plain Error carrying the message only,
 * so resolvers report instead of throwing.
 */
import { PlatformError, type Finding } from '../../model/errors';

export class RenderFindings {
  private readonly list: Finding[] = [];
  /** The error `attribute` stops the render with: thrown on through enclosing `attribute` calls. */
  private stopped?: PlatformError;

  /** @param site the site being rendered, named by every finding. */
  constructor(readonly site: string) {}

  /** Records a finding (of the site, unless it names another); the render fails once the site is rendered. */
  report(finding: Finding): void {
    this.list.push({ ...finding, site: finding.site ?? this.site });
  }

  /**
   * Runs `step` for `component` (none: the site as a whole). What it throws becomes a finding of
   * that component, a PlatformError's findings as they are, another error's message after `prefix`,
   * and the render stops with every finding so far.
   */
  attribute<T>(component: string | undefined, step: () => T, prefix = ''): T {
    try {
      return step();
    } catch (err) {
      if (err === this.stopped) throw err;
      if (err instanceof PlatformError) this.list.push(...err.findings);
      else this.report({ component, message: `${prefix}${err instanceof Error ? err.message : String(err)}` });
      this.stopped = new PlatformError(this.list);
      throw this.stopped;
    }
  }

  /** Throws a PlatformError of every finding reported, if any. */
  throwIfAny(): void {
    if (this.list.length > 0) throw new PlatformError(this.list);
  }
}
