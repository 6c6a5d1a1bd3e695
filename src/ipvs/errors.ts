/**
 * Errors of the ipvsadm rule model. The message is exactly what ipvsadm prints (to stderr) and
 * the exit code what it exits with: 2 for command-line errors (ipvsadm.c fail(2, ...)), 255 for
 * errors the kernel returns (process_options returns -1, printed via ipvs_strerror).
 */

/** A rejected ipvsadm command or rule change, with ipvsadm's message and exit status. */
export class IpvsadmError extends Error {
  readonly code = 'ULVS_IPVSADM';
  constructor(message: string, readonly exitCode: number = 2) {
    super(message);
  }
}

/** A command-line error (exit 2), as ipvsadm's fail(2, ...). */
export function usageFail(message: string): never {
  throw new IpvsadmError(message, 2);
}

/** A kernel-side error (exit 255) with libipvs's ipvs_strerror text. */
export function kernelFail(message: string): never {
  throw new IpvsadmError(message, 255);
}

/** ipvsadm's tryhelp_exit text (exit 255). */
export function tryHelp(program = 'ipvsadm'): never {
  throw new IpvsadmError(`Try \`${program} -h' or '${program} --help' for more information.`, 255);
}
