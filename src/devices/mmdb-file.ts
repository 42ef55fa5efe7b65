import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { isIP } from 'node:net';
import Decoder from 'mmdb-lib/lib/decoder';
import addresses from 'mmdb-lib/lib/ip';
import { parseMetadata, type Metadata } from 'mmdb-lib/lib/metadata';
import walker, { type Walker } from 'mmdb-lib/lib/reader/walker';

/** The format puts its metadata in the last 128 KiB, after this marker. */
const METADATA_MARKER = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex');
const METADATA_MAX_BYTES = 128 * 1024;
/** Zero bytes between the search tree and the data section. */
const DATA_SEPARATOR_BYTES = 16;
/** The tree is read in blocks, the most recently used of which are kept: 256 x 4 KiB, 1 MiB. */
const BLOCK_BYTES = 4096;
const BLOCKS_KEPT = 256;

/**
 * An mmdb file whose search tree stays on disk: only its data section (the records, a fifth of
 * the file for GeoLite2 city) is held in memory. Reading the whole file into a Buffer, as mmdb
 * readers do, kept 27 MiB of a 43 MiB IPv4 + IPv6 pair resident for tree nodes that a lookup
 * touches 32 of; here a lookup reads those nodes from the file (served by the page cache, which
 * the kernel can reclaim) and decodes its record with mmdb-lib's own decoder, so answers are
 * those of the `maxmind` reader (test/devices/mmdb-file.test.ts compares them).
 */
export class MmdbFile {
  private readonly metadata: Metadata;
  private readonly records: Decoder;
  private readonly node: Buffer;
  private readonly nodeRecords: Walker;
  /** Tree blocks by index, least recently used first (a Map keeps insertion order). */
  private readonly blocks = new Map<number, Buffer>();

  private constructor(
    private readonly fd: number,
    size: number,
  ) {
    const tailLength = Math.min(size, METADATA_MAX_BYTES);
    const tail = this.read(size - tailLength, tailLength);
    this.metadata = parseMetadata(tail);
    const metadataStart = size - tailLength + tail.lastIndexOf(METADATA_MARKER);
    const dataStart = this.metadata.searchTreeSize + DATA_SEPARATOR_BYTES;
    // Pointers inside records are relative to the data section, so a decoder over it alone resolves them.
    this.records = new Decoder(this.read(dataStart, metadataStart - dataStart), 0);
    this.node = Buffer.alloc(this.metadata.nodeByteSize);
    // mmdb-lib's own record reader (24, 28 or 32 bits), over the one node read into `node`.
    this.nodeRecords = walker(this.node, this.metadata.recordSize);
  }

  static open(path: string): MmdbFile {
    const fd = openSync(path, 'r');
    try {
      return new MmdbFile(fd, fstatSync(fd).size);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** The record for `ip`, or null; throws on a string that is not an address of the file's family. */
  get(ip: string): unknown {
    const { nodeCount, nodeByteSize, ipVersion } = this.metadata;
    // ip-location-db ships one file per family, so each file answers for its own family only.
    if (isIP(ip) !== ipVersion) throw new Error(`not an IPv${ipVersion} address`);
    const address = addresses.parse(ip);
    let nodeNumber = 0;
    for (let depth = 0; depth < address.length * 8 && nodeNumber < nodeCount; depth++) {
      this.readNode(nodeNumber * nodeByteSize, nodeByteSize);
      nodeNumber = addresses.bitAt(address, depth) ? this.nodeRecords.right(0) : this.nodeRecords.left(0);
    }
    if (nodeNumber <= nodeCount) return null;
    // mmdb-lib types the decoded cursor as any; its value is the record.
    const cursor = this.records.decodeFast(nodeNumber - nodeCount - DATA_SEPARATOR_BYTES) as { value: unknown };
    return cursor.value;
  }

  /**
   * Copies one node into `this.node` through the block cache: every lookup walks the same top of
   * the tree, and a subtree's deeper nodes lie close together in the file.
   */
  private readNode(position: number, length: number): void {
    for (let copied = 0; copied < length;) {
      const index = Math.floor((position + copied) / BLOCK_BYTES);
      let block = this.blocks.get(index);
      if (block) {
        this.blocks.delete(index);
      } else {
        block = Buffer.alloc(BLOCK_BYTES);
        readSync(this.fd, block, 0, BLOCK_BYTES, index * BLOCK_BYTES);
        if (this.blocks.size >= BLOCKS_KEPT) this.blocks.delete(this.blocks.keys().next().value!);
      }
      this.blocks.set(index, block);
      const start = position + copied - index * BLOCK_BYTES;
      copied += block.copy(this.node, copied, start, Math.min(BLOCK_BYTES, start + length - copied));
    }
  }

  private read(position: number, length: number): Buffer {
    const buffer = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, buffer, done, length - done, position + done);
      if (n === 0) throw new Error('unexpected end of the mmdb file');
      done += n;
    }
    return buffer;
  }
}
