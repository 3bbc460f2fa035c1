/**
 * The committed sites' Kubernetes decisions, shared by their site files. They run Kubernetes
 * 1.36: no release is both supported by the Kubernetes project and inside every pin's stated
 * range (README, "Kubernetes releases"), and 1.36 is inside the range of every pin but two, which
 * each site accepts here with the reason. Both acceptances name the pin: moving it refuses the
 * acceptance until it is renewed or removed.
 */
export const OUTSIDE_RANGE_ON_1_36: Readonly<Record<string, string>> = {
  'contour@0.7.0':
    'no Contour release is tested on Kubernetes 1.36 yet (main, the next release, is tested on 1.34 to 1.36). ' +
    'Contour 1.33.6 is built with client-go 0.34, and chart 0.7.0 installs only GA APIs that 1.36 serves (helm template at 1.36, checked against its schema). ' +
    'Move to the first Contour release tested on 1.36.',
  'keda@2.20.2':
    'KEDA 2.21 (range still TBD) is unreleased, and External Secrets 2.9 is tested on 1.36 alone: no Kubernetes release is tested by both. ' +
    'KEDA 2.20.2 is built with client-go 0.35, and its chart installs only GA APIs that 1.36 serves (helm template at 1.36, checked against its schema). ' +
    'If it misbehaves, the resizer workers stop scaling on the bus lag; the API autoscales on metrics-server. Move to KEDA 2.21 once released.',
};
