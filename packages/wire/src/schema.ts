/**
 * Absolute path of `replication.proto`, the schema every frame follows (for grpc loaders and other languages). In a
 * browser bundle, where the module is not a file, it is the URL's path (unused there).
 */
export const REPLICATION_PROTO_PATH = filePathOf(new URL('../proto/statemesh/v1/replication.proto', import.meta.url));

/** `fileURLToPath` without `node:url` (which a browser does not have): POSIX paths, and `C:\\` drives on Windows. */
function filePathOf(url: URL): string {
  const path = decodeURIComponent(url.pathname);
  if (url.protocol !== 'file:') return path;
  if (url.hostname !== '') return `\\\\${url.hostname}${path.replaceAll('/', '\\')}`; // a UNC share
  return /^\/[A-Za-z]:/.test(path) ? path.slice(1).replaceAll('/', '\\') : path;
}
