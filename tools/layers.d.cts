import type { Linter } from 'eslint';

/** A layer of the repository: its top-level directories and entry files (without `.ts`). */
export interface Layer {
  readonly dirs: readonly string[];
  readonly files: readonly string[];
  readonly holds: string;
}

export declare const LAYERS: readonly Layer[];
export declare function layerRules(): Linter.Config[];
