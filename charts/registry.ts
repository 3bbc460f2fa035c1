/**
 * Builds a site's components from a table of builders (charts/platform.ts), each at most once and
 * on first use: a component asks for the ones it is wired to (`use`) and receives them as typed
 * objects, built then if they were not yet. So the order the table is walked in changes nothing
 * but the order of construction, which nothing reads: the views list components in the registry's
 * order (model/components.ts).
 */
import type { Construct } from 'constructs';
import { registryRank, type ComponentName } from '../model/components';
import { PlatformError } from '../model/errors';
import { PlatformComponent } from './component';
import type { SiteContext } from './context';

/** What a builder gets: where to build, the site, and the other components. */
export interface BuildContext<Built> {
  readonly scope: Construct;
  readonly context: SiteContext;
  /** The component `name`, which the site must then not opt out of (it is built if it was not yet). */
  use<K extends keyof Built>(name: K): Built[K];
  /** The component `name`, unless the site opts out of it. */
  useIfPresent<K extends keyof Built>(name: K): Built[K] | undefined;
}

/** One builder per component name. */
export type Builders<Built> = { readonly [K in keyof Built]: (b: BuildContext<Built>) => Built[K] };

export class Registry<Built extends { readonly [K in keyof Built]: PlatformComponent }> {
  private readonly built: Partial<Built> = {};
  /** The components being built, innermost last (the user of a component asked for). */
  private readonly building: (keyof Built & ComponentName)[] = [];

  constructor(
    private readonly builders: Builders<Built>,
    private readonly scope: Construct,
    private readonly context: SiteContext,
    /** Components the site cannot do without, refused in `components.optOut`. */
    required: readonly ComponentName[],
  ) {
    const { findings } = context;
    for (const name of Object.keys(this.optOut).sort() as ComponentName[]) {
      if (required.includes(name)) {
        findings.report({ field: `components.optOut.${name}`, message: `${name} cannot be left out: the platform needs it on every site` });
      }
    }
    findings.throwIfAny();
  }

  private get optOut(): Readonly<Partial<Record<string, string>>> {
    return this.context.site.components?.optOut ?? {};
  }

  /** Whether the site opts out of `name`. */
  optsOut(name: keyof Built & ComponentName): boolean {
    return Boolean(this.optOut[name]);
  }

  /** Builds `name` (and what it uses) unless the site opts out of it or it is built already. */
  build<K extends keyof Built & ComponentName>(name: K): Built[K] | undefined {
    if (this.optsOut(name)) return undefined;
    const known = this.built[name];
    if (known !== undefined) return known;
    if (this.building.includes(name)) throw new Error(`components use each other in a cycle: ${[...this.building, name].join(' -> ')}`);
    this.building.push(name);
    try {
      const component = this.context.findings.attribute(name, () => this.builders[name](this.buildContext()));
      this.built[name] = component;
      return component;
    } finally {
      this.building.pop();
    }
  }

  /** The components built so far, by name. */
  get components(): Partial<Built> {
    return this.built;
  }

  private buildContext(): BuildContext<Built> {
    return {
      scope: this.scope,
      context: this.context,
      use: (name) => {
        const component = this.build(name as keyof Built & ComponentName);
        if (component !== undefined) return component as Built[typeof name];
        const user = this.building[this.building.length - 1]!;
        const dependency = String(name);
        // Recorded against the user by the build() it is called from.
        throw new PlatformError([
          {
            site: this.context.site.name,
            component: user,
            field: `components.optOut.${dependency}`,
            message: `${user} needs ${dependency}: keep ${dependency}, or opt out of ${user} too`,
          },
        ]);
      },
      useIfPresent: (name) => this.build(name as keyof Built & ComponentName) as Built[typeof name] | undefined,
    };
  }
}

/** Every component under a construct (an App), in the registry's order (model/components.ts), whatever the order they were built in. */
export function componentsOf(scope: Construct): PlatformComponent[] {
  const built = scope.node.children.filter(PlatformComponent.isPlatformComponent);
  // Stable: components the registry does not know (a test's) keep their construction order, after the others.
  return built
    .map((c, i) => ({ c, i }))
    .sort((a, b) => registryRank(a.c.componentName) - registryRank(b.c.componentName) || a.i - b.i)
    .map(({ c }) => c);
}
