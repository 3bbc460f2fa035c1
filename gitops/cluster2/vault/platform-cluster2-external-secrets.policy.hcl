# Policy platform-cluster2-external-secrets: what external-secrets/external-secrets reads. Rendered by npm run synth: do not edit.
path "platform/data/argocd/github-oauth/cluster2" {
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

path "platform/data/certificates/cluster2/tsig" {
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

path "platform/data/object-store/cluster2/images" {
  capabilities = ["read"]
}

path "platform/data/object-store/cluster2/minio-root" {
  capabilities = ["read"]
}

path "platform/data/object-store/cluster2/postgres-backups" {
  capabilities = ["read"]
}

path "platform/data/postgres/replication" {
  capabilities = ["read"]
}

path "platform/data/postgres/superuser" {
  capabilities = ["read"]
}
