/**
 * The few file operations a log store needs, over one directory. `NodeDisk` maps them to `node:fs`;
 * `MemoryDisk` keeps the files in memory with crashes, torn writes and a full disk on demand. Errors keep the
 * `code` of `node:fs` (`ENOSPC`, `ENOENT`...).
 */
export interface Disk {
  /** Human-readable place of `name`, for error messages (a file path). */
  describe(name: string): string;
  /** Creates the directory when missing. */
  ensure(): Promise<void>;
  /** Names of the files in the directory. */
  list(): Promise<string[]>;
  /** The whole content of `name`. */
  read(name: string): Promise<Uint8Array>;
  /** Opens `name` for appending, creating it when missing. */
  append(name: string): Promise<AppendFile>;
  /** Renames `from` to `to`, replacing `to`. */
  rename(from: string, to: string): Promise<void>;
  /** Removes `name`; a missing file is not an error. */
  remove(name: string): Promise<void>;
  /** Makes the directory's entries (creations, renames, removals) durable. */
  syncDirectory(): Promise<void>;
  /**
   * Claims the directory for this store; throws an error with `holder` (a description of who has it) when another
   * live store holds it. A holder that died (a killed process) does not count.
   */
  lock(): Promise<void>;
  /** Gives the claim up. */
  unlock(): Promise<void>;
}

/** A file open for appending. */
export interface AppendFile {
  /** Appends `bytes` at the end (all of them, or throws; a failed write may leave part of them). */
  write(bytes: Uint8Array): Promise<void>;
  /** Makes what was written durable (`fdatasync`). */
  sync(): Promise<void>;
  /** Cuts the file to `length` bytes. */
  truncate(length: number): Promise<void>;
  /** Releases the handle. */
  close(): Promise<void>;
}
