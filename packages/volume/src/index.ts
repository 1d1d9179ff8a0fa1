export { putVolume, putBricks, type BrickInput, type PutVolumeOptions, type PutVolumeResult } from './put-volume.js';
export { VolumeView, type VolumeViewEvents, type VolumeViewOptions, type VolumeViewStats } from './volume-view.js';
export type { VolumeSession, VolumeValue } from './volume-session.js';
export { MANIFEST_TYPE, autoLevels, levelDims, levelPath } from './volume-layout.js';
export { planBricks, planesAtLevel, type PlannedBrick } from './view-plan.js';
export type { LevelManifest } from './level-manifest.js';
