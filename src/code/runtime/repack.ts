import { pipeline, Readable } from 'stream';
import * as zlib from 'zlib';
import { ByteReader, dataLength, endOfArchive, entryHeader, nextEntry, ReadEntry, TarEntry } from './tar';

/** The folder of a model archive that holds the serving code (`/opt/ml/model/code`). */
export const CODE_FOLDER = 'code';

/** gzip level of repacked models: model weights compress little, and a repack of many GB must be quick. */
const REPACK_GZIP_LEVEL = 1;

function normalise(name: string): string {
  return name.replace(/^(\.\/)+/, '').replace(/^\/+/, '');
}

/** Whether a member of the model archive is (under) its old `code/` folder, which the new code replaces. */
function isOldCode(name: string): boolean {
  const n = normalise(name);
  return n === CODE_FOLDER || n === `${CODE_FOLDER}/` || n.startsWith(`${CODE_FOLDER}/`);
}

/** The header of a source archive's member, moved under `code/`; undefined for members that are left out. */
function codeEntry(entry: ReadEntry): TarEntry | undefined {
  const name = normalise(entry.name).replace(/\/$/, '');
  if (name === '' || name === '.') return undefined;
  const mode = entry.mode % 0o10000;
  switch (entry.typeFlag) {
    case '0':
    case '7':
      return { name: `${CODE_FOLDER}/${name}`, type: 'file', size: entry.size, mode };
    case '5':
      return { name: `${CODE_FOLDER}/${name}/`, type: 'directory', mode };
    case '2':
      return { name: `${CODE_FOLDER}/${name}`, type: 'symlink', linkName: entry.linkName, mode };
    default:
      // Hard links, devices and FIFOs have no place in serving code.
      return undefined;
  }
}

/**
 * The members of the new (uncompressed) model archive: every member of the
 * model archive except an old `code/` folder, copied byte for byte, then
 * the source archive's members under `code/`, then the end of the archive.
 * It holds one input chunk at a time, whatever the model's size.
 *
 * @param modelTar the model archive, uncompressed
 * @param sourceTarGz the source directory archive (`sourcedir.tar.gz`), small
 */
export async function* repackEntries(modelTar: AsyncIterable<Buffer>, sourceTarGz: Buffer): AsyncGenerator<Buffer> {
  const model = new ByteReader(modelTar);
  for (let entry = await nextEntry(model); entry; entry = await nextEntry(model)) {
    const length = dataLength(entry);
    if (isOldCode(entry.name)) {
      await model.skip(length);
      continue;
    }
    yield entry.rawHeader;
    yield* model.stream(length);
  }
  await model.drain();

  yield entryHeader({ name: `${CODE_FOLDER}/`, type: 'directory' });
  const source = new ByteReader(Readable.from([zlib.gunzipSync(sourceTarGz)]));
  for (let entry = await nextEntry(source); entry; entry = await nextEntry(source)) {
    const header = codeEntry(entry);
    const length = dataLength(entry);
    if (!header) {
      await source.skip(length);
      continue;
    }
    yield entryHeader(header);
    yield* source.stream(length);
  }
  yield endOfArchive();
}

/**
 * Repacks a model for serving containers that load their code from the
 * model (PyTorch, MXNet, TensorFlow Serving; any model without network):
 * a stream of a new `model.tar.gz` holding the model's files and the
 * source directory's files under `code/`. It streams: memory stays bounded
 * whatever the model's size. Errors of either input end the returned stream
 * with that error.
 *
 * @param model the trained `model.tar.gz`
 * @param sourceTarGz the `sourcedir.tar.gz` of the inference code
 */
export function repackModelArchive(model: NodeJS.ReadableStream, sourceTarGz: Buffer): Readable {
  const output = zlib.createGzip({ level: REPACK_GZIP_LEVEL });
  return pipeline(
    model,
    zlib.createGunzip(),
    async function* (tar: AsyncIterable<Buffer>) {
      yield* repackEntries(tar, sourceTarGz);
    },
    output,
    () => { /* errors reach the consumer through the destroyed output stream */ },
  ) as unknown as Readable;
}
