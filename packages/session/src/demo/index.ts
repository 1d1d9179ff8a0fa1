export { runClusterDemo } from './cluster-demo.js';
export type { ClusterDemoOptions, ClusterDemoResult } from './cluster-demo.js';
