export { type Brick, type BrickInit, type Vec3, type VolumeInfo, type VoxelType, VOXEL_TYPES } from './brick.js';
export { BrickManifest, type ForVolumeOptions, type FromBricksOptions } from './brick-manifest.js';
export type { BrickManifestErrorCode } from './error.js';
export { bricksInFrustum, type FrustumCullOptions } from './frustum-cull.js';
export { frustumFromMatrix, type Plane } from './plane.js';
export { bricksInRegion } from './region.js';
export { orderFrontToBack } from './front-to-back.js';
