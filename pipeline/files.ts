/**
 * Serialization: rendered sites to files, one object per file, named from kind and object name,
 * plus a kustomization.yaml per component directory listing them in a stable (sorted) order.
 * Paths are relative to gitops/.
 */
import { PlatformError } from '../model/errors';
import { toYamlDocument } from './yaml';
import { jsonOf, type ObjectMemo } from './object-text';
import type { KubeObject, RenderedComponent, RenderedSite } from './render';
import { vaultFiles } from './vault-policy';

/** A rendered tree: path relative to gitops/ -> file content. */
export type FileTree = Map<string, string>;

function fileName(object: KubeObject, component: RenderedComponent): string {
  const { name, namespace } = object.metadata;
  const parts =
    namespace && component.namespace && namespace !== component.namespace ? [object.kind, namespace, name] : [object.kind, name];
  return `${parts
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')}.yaml`;
}

/**
 * Kustomize matches patches to their targets before it sets the directory's namespace, so in a
 * directory that sets one, a patch names its target as the upstream manifest does: with no namespace.
 */
function withoutNamespace(object: KubeObject): KubeObject {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { namespace, ...metadata } = object.metadata;
  return { ...object, metadata };
}

/**
 * The documents of each file as plain JSON, path -> documents: what parsing the file back gives
 * (the rendered objects are plain JSON already: cdk8s drops undefined values). `npm run diff`
 * reads the rendered side from them instead of parsing its YAML.
 */
export type FileBodies = Map<string, readonly unknown[]>;

/** An object's YAML document, written once for the same bytes with `memo`. */
function yamlOf(document: KubeObject, memo: ObjectMemo | undefined): string {
  return memo ? memo.yaml.getOrMake(jsonOf(document), () => toYamlDocument(document)) : toYamlDocument(document);
}

/**
 * Files of one component directory, keyed by file name; with `bodies`, each file's document is
 * recorded there by file name; with `memo`, the YAML of objects already written is reused.
 */
export function componentFiles(
  siteName: string,
  component: RenderedComponent,
  bodies?: Map<string, readonly unknown[]>,
  memo?: ObjectMemo,
): Map<string, string> {
  const files = new Map<string, string>();
  const owners = new Map<string, string>();
  const resources: string[] = [];
  const patches: string[] = [];
  component.objects.forEach((object, i) => {
    const name = fileName(object, component);
    const id = `${object.kind}/${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`;
    const owner = owners.get(name);
    if (owner !== undefined) {
      throw new PlatformError([
        {
          site: siteName,
          component: component.name,
          object: id,
          message: `renders to ${name}, as ${owner} does; give one of them another name`,
        },
      ]);
    }
    owners.set(name, id);
    const isPatch = component.patchIndexes.has(i);
    const document = isPatch && component.kustomize.namespace ? withoutNamespace(object) : object;
    files.set(name, yamlOf(document, memo));
    bodies?.set(name, [document]);
    (isPatch ? patches : resources).push(name);
  });
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    ...(component.kustomize.namespace ? { namespace: component.kustomize.namespace } : {}),
    resources: [...(component.kustomize.remoteResources ?? []), ...resources.sort()],
    ...(patches.length > 0 ? { patches: patches.sort().map((path) => ({ path })) } : {}),
  };
  files.set('kustomization.yaml', `# Rendered by npm run synth from the TypeScript model: do not edit.\n${toYamlDocument(kustomization)}`);
  bodies?.set('kustomization.yaml', [kustomization]);
  return files;
}

/** Every file of one site, keyed by path relative to gitops/; with `bodies`, their documents too (FileBodies); `memo` as for componentFiles. */
export function siteFiles(rendered: RenderedSite, bodies?: FileBodies, memo?: ObjectMemo): FileTree {
  const tree: FileTree = new Map();
  for (const component of rendered.components) {
    const documents = bodies ? new Map<string, readonly unknown[]>() : undefined;
    const prefix = `${rendered.site.name}/${component.name}/`;
    for (const [name, content] of componentFiles(rendered.site.name, component, documents, memo)) tree.set(`${prefix}${name}`, content);
    for (const [name, docs] of documents ?? []) bodies!.set(`${prefix}${name}`, docs);
  }
  // Not a component: the Vault operator applies it (pipeline/vault-policy.ts).
  for (const [name, content] of vaultFiles(rendered)) tree.set(`${rendered.site.name}/vault/${name}`, content);
  return tree;
}
