export { runClusterDemo } from './cluster-demo.js';
export type { ClusterDemoBrowser, ClusterDemoOptions, ClusterDemoResult } from './cluster-demo.js';
