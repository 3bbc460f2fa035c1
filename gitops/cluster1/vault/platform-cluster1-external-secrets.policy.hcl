# Policy platform-cluster1-external-secrets: what external-secrets/external-secrets reads. Rendered by npm run synth: do not edit.
path "platform/data/argocd/github-oauth/cluster1" {
  capabilities = ["read"]
}

path "platform/data/bus/leaf/cluster1" {
  capabilities = ["read"]
}

path "platform/data/bus/system" {
  capabilities = ["read"]
}

path "platform/data/bus/users/dead-letters" {
  capabilities = ["read"]
}

path "platform/data/bus/users/resizer-api" {
  capabilities = ["read"]
}

path "platform/data/bus/users/resizer-worker" {
  capabilities = ["read"]
}

path "platform/data/bus/users/streams-admin" {
  capabilities = ["read"]
}

path "platform/data/certificates/cluster1/tsig" {
  capabilities = ["read"]
}

path "platform/data/certificates/internal-ca" {
  capabilities = ["read"]
}

path "platform/data/monitoring/grafana-admin" {
  capabilities = ["read"]
}

path "platform/data/monitoring/smtp" {
  capabilities = ["read"]
}

path "platform/data/object-store/cluster1/images" {
  capabilities = ["read"]
}

path "platform/data/object-store/cluster1/postgres-backups" {
  capabilities = ["read"]
}

path "platform/data/postgres/replication" {
  capabilities = ["read"]
}

path "platform/data/postgres/superuser" {
  capabilities = ["read"]
}
