/**
 * The users of the bus's accounts and the passwords the servers read. Each entry remembers the
 * component it was made for; both lists come out in the registry's order of those components
 * (model/components.ts), then in the order they were added, so nats.conf and the servers'
 * environment do not depend on the order the components were built in.
 */
import type { k8s } from 'cdk8s-plus-28';
import { registryRank } from '../../model/components';
import type { PlatformComponent } from '../component';
import { VaultSecret, type SecretsComponent, type VaultKey } from '../secrets/secrets';
import type { ConfUser } from './config';
import { NAMESPACE } from './constants';
import { secretEnv } from '../lib/workload';

/** A password, as the server sees it: an env var filled from a Vault-backed Secret. */
export interface PasswordSource {
  readonly env: string;
  readonly secret: VaultSecret;
}

/** Entries in the registry's order of the component each is for, then in the order they came. */
function inRegistryOrder<T extends { readonly owner: string }>(entries: readonly T[]): T[] {
  return entries
    .map((entry, i) => ({ entry, i }))
    .sort((a, b) => registryRank(a.entry.owner) - registryRank(b.entry.owner) || a.i - b.i)
    .map(({ entry }) => entry);
}

export class BusAccounts {
  private readonly users: { account: string; owner: string; user: ConfUser }[] = [];
  private readonly passwords: (PasswordSource & { owner: string })[] = [];

  constructor(
    private readonly bus: PlatformComponent,
    private readonly secrets: SecretsComponent,
  ) {}

  /** A password the servers read from `key` in Vault, for the component `owner` (the bus itself by default). */
  addPassword(env: string, key: VaultKey, secretName: string, owner = this.bus.componentName): PasswordSource {
    const secret = new VaultSecret(this.bus, secretName, {
      store: this.secrets,
      name: secretName,
      namespace: NAMESPACE,
      data: { password: key },
    });
    const source = { env, secret };
    this.passwords.push({ ...source, owner });
    return source;
  }

  /** Adds `user` to `account`, for the component `owner`. */
  addUser(account: string, user: ConfUser, owner = this.bus.componentName): void {
    this.users.push({ account, owner, user });
  }

  /**
   * Lets `user`, added before, publish to `subjects` too (a user whose rights grow with the
   * declarations, as the dead-letter user's do with each stream).
   */
  allowPublish(user: string, subjects: readonly string[]): void {
    const i = this.users.findIndex((u) => u.user.user === user);
    const entry = this.users[i];
    const allowed = entry?.user.permissions?.publish.allow;
    // A user without an allow list may publish anywhere already: a list would restrict it.
    if (!entry || !allowed) throw new Error(`bus: no user ${user} with a publish allow list to extend`);
    const permissions = { ...entry.user.permissions!, publish: { ...entry.user.permissions!.publish, allow: [...allowed, ...subjects] } };
    this.users[i] = { ...entry, user: { ...entry.user, permissions } };
  }

  /** Whether a user of that name exists in any account. */
  has(user: string): boolean {
    return this.users.some((u) => u.user.user === user);
  }

  /** The users of `account`. */
  usersOf(account: string): ConfUser[] {
    return inRegistryOrder(this.users.filter((u) => u.account === account)).map((u) => u.user);
  }

  /** One env var per password, from its Secret. */
  passwordEnv(): k8s.EnvVar[] {
    return inRegistryOrder(this.passwords).map((p) => secretEnv(p.env, p.secret, 'password'));
  }

  /** The Secrets of those passwords: the servers restart when one changes. */
  passwordSecrets(): VaultSecret[] {
    return this.passwords.map((p) => p.secret);
  }
}
