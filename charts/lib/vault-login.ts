/**
 * What a service account that logs in to Vault with Kubernetes auth needs in the cluster. Vault
 * runs outside the clusters and is given no reviewer token of its own (gitops/<site>/vault/README.md
 * configures the mount without `token_reviewer_jwt`), so it checks each login by calling the
 * TokenReview API with the login's own token (hashicorp/vault-plugin-auth-kubernetes@v0.24.1:
 * token_review.go, path_config.go): the service account must be allowed to create TokenReviews,
 * which Kubernetes' built-in ClusterRole `system:auth-delegator` grants, and nothing else.
 */
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';

/** The ClusterRole Kubernetes ships for delegated authentication (tokenreviews, subjectaccessreviews: create). */
export const AUTH_DELEGATOR_ROLE = 'system:auth-delegator';

/** Binds `serviceAccount` to `system:auth-delegator`, so that Vault can review the tokens it logs in with. */
export function allowVaultLogin(
  scope: Construct,
  serviceAccount: { readonly name: string; readonly namespace: string },
  labels: Readonly<Record<string, string>>,
): void {
  new k8s.KubeClusterRoleBinding(scope, `vault-login-${serviceAccount.name}`, {
    metadata: { name: `${serviceAccount.name}-vault-login`, labels: { ...labels } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: AUTH_DELEGATOR_ROLE },
    subjects: [{ kind: 'ServiceAccount', name: serviceAccount.name, namespace: serviceAccount.namespace }],
  });
}
