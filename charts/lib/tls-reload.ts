/**
 * Certificates from cert-manager are renewed in place: the kubelet swaps the Secret's files, but
 * nats-server and PostgreSQL read certificates only when they start or reload. This shell snippet
 * (POSIX sh: the nats image is Alpine's busybox, the stolon image Debian's bash) watches the files
 * and runs the reload command when their content changes, so a renewal reaches the server without
 * a restart.
 */

/** Environment variable overriding the check interval (seconds), for the tests. */
export const TLS_RELOAD_INTERVAL_ENV = 'TLS_RELOAD_INTERVAL_SECONDS';
/** How often the files are compared, seconds (cert-manager renews weeks before expiry). */
export const TLS_RELOAD_INTERVAL_SECONDS = 60;

/**
 * Lines starting a background loop that runs `reload` whenever the content of `files` changes.
 * `prepare` runs first, then again before each reload (e.g. copying a key to a 0600 file).
 */
export function reloadOnChange(files: readonly string[], reload: string, prepare?: string): string[] {
  const digest = `cat ${files.map((f) => `'${f}'`).join(' ')} 2>/dev/null | cksum`;
  const step = prepare ? `${prepare} && ` : '';
  return [
    ...(prepare ? [prepare] : []),
    '(',
    `  last=$(${digest})`,
    `  while sleep "\${${TLS_RELOAD_INTERVAL_ENV}:-${TLS_RELOAD_INTERVAL_SECONDS}}"; do`,
    `    now=$(${digest})`,
    // Retried at the next check until it succeeds (the server may be starting).
    `    if [ "$now" != "$last" ]; then if ${step}${reload}; then last=$now; else echo "tls reload failed, retrying" >&2; fi; fi`,
    '  done',
    ') &',
  ];
}
