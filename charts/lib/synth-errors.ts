/**
 * cdk8s wraps any error thrown while serializing an object into a plain Error carrying only the
 * message, which would lose a resolver's PlatformError (its site, component and field). Resolvers
 * raise through here so the render step can recover the original.
 */
import { App } from 'cdk8s';
import type { IConstruct } from 'constructs';
import type { PlatformError } from '../../model/errors';

const pending = new WeakMap<App, PlatformError>();

/** Throws `error` from inside a resolver, remembering it for the render step. */
export function raiseDuringSynth(scope: IConstruct, error: PlatformError): never {
  pending.set(App.of(scope), error);
  throw error;
}

/** The PlatformError a resolver raised during the last failed serialization of `app`, if any. */
export function takeSynthError(app: App): PlatformError | undefined {
  const error = pending.get(app);
  pending.delete(app);
  return error;
}
