import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { endOfArchive, entryHeader, padding, TarEntry } from '../runtime/tar';

/** One member of a source directory tarball, with where its data comes from. */
interface SourceMember {
  readonly entry: TarEntry;
  readonly file?: string;
}

/**
 * The members of a directory's CONTENTS (the directory itself is the
 * archive root): relative `/`-separated names without `./`, directories
 * ending in `/`, sorted by name (byte order). Symbolic links are followed
 * (their targets are archived; a link that points nowhere is an error).
 */
function members(root: string): SourceMember[] {
  const out: SourceMember[] = [];
  const walk = (dir: string, prefix: string, seen: Set<string>) => {
    const names = fs.readdirSync(dir).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const name of names) {
      const full = path.join(dir, name);
      let stat: fs.Stats;
      try {
        stat = fs.statSync(full);
      } catch {
        throw new Error(`${full}: cannot be read (a symbolic link that points nowhere?)`);
      }
      const member = `${prefix}${name}`;
      if (stat.isDirectory()) {
        const real = fs.realpathSync(full);
        if (seen.has(real)) throw new Error(`${full}: a symbolic link loop`);
        out.push({ entry: { name: `${member}/`, type: 'directory' } });
        walk(full, `${member}/`, new Set([...seen, real]));
      } else if (stat.isFile()) {
        // Only the executable bit is kept: 0755 or 0644.
        // eslint-disable-next-line no-bitwise
        out.push({ entry: { name: member, type: 'file', size: stat.size, mode: stat.mode & 0o111 ? 0o755 : 0o644 }, file: full });
      }
      // Sockets, FIFOs and devices are left out.
    }
  };
  walk(root, '', new Set([fs.realpathSync(root)]));
  return out;
}

/**
 * `sourcedir.tar.gz` of a directory, reproducibly: the same files give the
 * same bytes on every machine and at every time. Members are sorted, with
 * mtime 0, uid/gid 0, no user or group names, modes 0644/0755; the gzip
 * header has mtime 0 and OS "Unix".
 */
export function sourceDirTarball(directory: string): Buffer {
  const parts: Buffer[] = [];
  for (const { entry, file } of members(directory)) {
    parts.push(entryHeader(entry));
    if (file) {
      const data = fs.readFileSync(file);
      if (data.length !== entry.size) throw new Error(`${file} changed while it was archived`);
      parts.push(data, padding(data.length));
    }
  }
  parts.push(endOfArchive());
  return gzipReproducibly(Buffer.concat(parts));
}

/** gzip with a fixed header: mtime 0 (Node writes 0 already), OS byte 3 (Unix) on every platform. */
export function gzipReproducibly(data: Buffer): Buffer {
  const gz = zlib.gzipSync(data, { level: 9 });
  gz.writeUInt32LE(0, 4);
  gz[9] = 3;
  return gz;
}
