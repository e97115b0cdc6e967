/**
 * Reading the files a user names (the registry, CA bundles): regular files only, size-capped, read in one go, so
 * that /dev/zero, a FIFO or a directory is an error naming the file at once instead of a hang or 4 GB of memory.
 * Error messages name the file and the reason, never its content.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";

export const MAX_REGISTRY_BYTES = 16 * 1024 * 1024;
/** A CA bundle is a few certificates; Mozilla's whole root store is ~220 KB. */
export const MAX_CA_BYTES = 4 * 1024 * 1024;

export class FileInputError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = "FileInputError";
  }
}

/** UTF-8 text of a regular file of at most `maxBytes`, without a leading BOM. */
export function readTextFile(file: string, maxBytes: number): string {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then says what it is.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new FileInputError(file, `cannot read (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile())
      throw new FileInputError(
        file,
        `not a regular file (${stat.isDirectory() ? "a directory" : stat.isFIFO() ? "a FIFO" : stat.isCharacterDevice() ? "a device" : "special file"})`,
      );
    if (stat.size > maxBytes) throw new FileInputError(file, `is ${stat.size} bytes, more than the ${maxBytes} allowed`);
    const buffer = Buffer.alloc(stat.size);
    let read = 0;
    while (read < stat.size) {
      const n = readSync(fd, buffer, read, stat.size - read, read);
      if (n === 0) break;
      read += n;
    }
    const text = buffer.subarray(0, read).toString("utf8");
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } finally {
    closeSync(fd);
  }
}
