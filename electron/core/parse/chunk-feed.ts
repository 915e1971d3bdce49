import { DEFAULT_CHUNK_ROWS } from '../../../shared/db/commit-import';
import type { StreamedChunk } from './parse-file';

// What an import needs to stage a file while it is read (issue 14; import-file.ts, and the
// command line, which starts reading before it has a database): whether to, and where the chunks
// the parse hands out wait until the import takes them.

/**
 * Below this size staging while reading gains nothing worth a call more (the seal): the file is
 * read in a fraction of a second and fits a chunk or two. ~2 MB is ~16k rows, three chunks.
 */
export const STREAM_MIN_BYTES = 2 * 1024 * 1024;

/**
 * The chunk size to ask the parse to hand out chunks of, or null when this import should not
 * stage while reading (import-file.ts, ImportFileInput.stream).
 */
export function streamChunkRowsFor(
  input: { stream?: boolean; skipExisting?: boolean; chunkRows?: number },
  fileBytes: number,
): number | null {
  if (input.skipExisting || input.stream === false) return null;
  if (input.stream !== true && fileBytes < STREAM_MIN_BYTES) return null;
  return input.chunkRows ?? DEFAULT_CHUNK_ROWS;
}

/**
 * Chunks a parse hands out, held until the import takes them: the command line starts reading
 * the file before it has a database to stage into.
 */
export class ChunkFeed {
  private held: StreamedChunk[] = [];
  private sink: ((chunk: StreamedChunk) => void) | null = null;

  readonly push = (chunk: StreamedChunk): void => {
    if (this.sink) this.sink(chunk);
    else this.held.push(chunk);
  };

  follow(sink: (chunk: StreamedChunk) => void): void {
    this.sink = sink;
    const held = this.held;
    this.held = [];
    for (const chunk of held) sink(chunk);
  }
}
