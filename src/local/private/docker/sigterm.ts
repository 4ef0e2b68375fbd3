/**
 * Containers that ignore SIGTERM (INTERNAL). A container stopped with
 * `docker stop -t N` that is still running N seconds later is killed with
 * SIGKILL and exits with code 137 (128 + 9): its main process neither exited
 * on SIGTERM nor had it delivered (a program running as PID 1 gets no
 * default signal handling). Local mode says so once per image and process,
 * with the fix, because SageMaker stops containers the same way.
 */

/** Exit code of a container whose main process was killed by SIGKILL. */
export const SIGKILL_EXIT_CODE = 137;

const warnedImages = new Set<string>();

/**
 * The note for a container of `image` that was still running `stopGraceSeconds`
 * after SIGTERM; undefined when it was already given for this image in this
 * process.
 */
export function sigtermIgnoredNote(image: string, stopGraceSeconds: number): string | undefined {
  if (warnedImages.has(image)) return undefined;
  warnedImages.add(image);
  return `byoa: the container of image '${image}' ignored SIGTERM: it was still running ${stopGraceSeconds} s later and was killed (SIGKILL). `
    + 'A program running as PID 1 gets no default signal handling. Fix it in the image: handle SIGTERM in the server (exit when it arrives), '
    + 'start the server with \'exec\' from a shell entrypoint (so it gets the signal), or run it under an init process '
    + '(tini, or \'docker run --init\'). On SageMaker the same image delays every endpoint update and deletion by the full stop timeout.';
}

/** Forgets which images were warned about (tests). */
export function resetSigtermNotes(): void {
  warnedImages.clear();
}
