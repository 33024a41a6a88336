/** Model architectures kws-serve can build. */
export const ARCHITECTURES = ['lenet', 'tc-resnet8', 'tc-resnet14', 'tc-resnet14-wide', 'matchboxnet-3x1x64'] as const;

/** Name of a model architecture. */
export type Architecture = (typeof ARCHITECTURES)[number];

/** Options shared by the builders. */
export interface ModelOptions {
  /** Dropout rate before the classifier. Default 0.5 for TC-ResNet (as Choi et al.), 0.25 for LeNet. */
  readonly dropout?: number;
  /** L2 weight decay on convolution and dense kernels. Default 1e-4 (Choi et al. 2019, section 3.2). */
  readonly l2?: number;
  /** Seed of the weight initialisers and dropout, for reproducible training. Default 1. */
  readonly seed?: number;
}

/** True when `name` is one of {@link ARCHITECTURES}. */
export function isArchitecture(name: string): name is Architecture {
  return (ARCHITECTURES as readonly string[]).includes(name);
}

/** How an ensemble combines its members' outputs (see `buildEnsemble`). */
export type EnsembleCombine = 'mean-prob' | 'mean-logit';

/** The combine rules, for option parsers. */
export const ENSEMBLE_COMBINES: readonly EnsembleCombine[] = ['mean-prob', 'mean-logit'];
