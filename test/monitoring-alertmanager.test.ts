/**
 * Each site's Alertmanager configuration, as its Application gives it to the chart, checked by the
 * real amtool (Debian's `prometheus-alertmanager`): `amtool check-config` accepts it, and
 * `amtool config routes test` sends each severity to its mail receiver. The SMTP password is a
 * file from the Secret External Secrets fills: no secret value is in the configuration.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { receiverOf } from '../charts/monitoring/alertmanager';
import { tempDir } from './helpers';
import { renderAll, run } from './monitoring-helpers';

const rendered = renderAll();
const work = tempDir('monitoring-am-');
afterAll(() => work.cleanup());

describe.each(rendered.map((r) => [r.site.name, r] as const))('site %s', (name, site) => {
  const monitoring = site.components.find((c) => c.name === 'monitoring')!;
  const values = monitoring.helmChart!.values as {
    alertmanager: { config: Record<string, unknown>; alertmanagerSpec: { secrets: string[] } };
  };
  const config = values.alertmanager.config;
  const dir = path.join(work.dir, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'alertmanager.yml'), stringify(config));
  const route = (...labels: string[]) => run('amtool', ['config', 'routes', 'test', '--config.file=alertmanager.yml', ...labels], dir);

  test('amtool check-config accepts it', () => {
    const r = run('amtool', ['check-config', 'alertmanager.yml'], dir);
    expect(r.output).toContain('SUCCESS');
    expect(r.output).toMatch(/- 3 receivers/);
    expect(r.status).toBe(0);
  });

  test('critical and warning alerts go to their mail receivers, the chart watchdog nowhere', () => {
    expect(route('severity=critical', 'alertname=SiteUnreachable').stdout.trim()).toBe(receiverOf('critical'));
    expect(route('severity=warning', 'alertname=VolumeNearlyFull').stdout.trim()).toBe(receiverOf('warning'));
    // An alert without severity is still mailed (the default route).
    expect(route('alertname=Unlabelled').stdout.trim()).toBe(receiverOf('warning'));
    expect(route('alertname=Watchdog', 'severity=none').stdout.trim()).toBe('null');
  });

  test('mail is sent with STARTTLS, the password read from the Secret Vault fills', () => {
    const global = config.global as Record<string, unknown>;
    expect(global.smtp_require_tls).toBe(true);
    expect(global.smtp_auth_password_file).toBe(`/etc/alertmanager/secrets/${values.alertmanager.alertmanagerSpec.secrets[0]}/password`);
    expect(JSON.stringify(config)).not.toMatch(/smtp_auth_password"/);
    const secret = monitoring.objects.find(
      (o) => o.kind === 'ExternalSecret' && o.metadata.name === values.alertmanager.alertmanagerSpec.secrets[0],
    );
    expect(secret).toBeDefined();
  });

  test('a broken configuration fails amtool check-config (the check bites)', () => {
    fs.writeFileSync(path.join(dir, 'broken.yml'), stringify({ ...config, route: { ...(config.route as object), receiver: 'nobody' } }));
    const r = run('amtool', ['check-config', 'broken.yml'], dir);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/undefined receiver "nobody"/);
  });
});
