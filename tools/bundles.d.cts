/** A bundle of our code (a layer, or a directory of one): the directories whose modules it holds. */
export interface LayerBundle {
  readonly name: string;
  readonly dirs: readonly string[];
}

export declare const LAYER_BUNDLES: readonly LayerBundle[];
/** The bundles beside an entry's bundle in dist/ that it may load: `vendor`, then our code's. */
export declare const SHARED_BUNDLES: readonly string[];
export declare function modulesOf(bundle: LayerBundle): string[];
export declare function layerBundleOf(file: string): LayerBundle | undefined;
/** The bundles a synth by the entry bundle `bundle` runs: it, and the shared bundles beside it. */
export declare function programFilesOf(bundle: string): string[];
