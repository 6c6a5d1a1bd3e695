/**
 * Errors of the ipvsadm rule model. The message is exactly what ipvsadm prints (to stderr) and
 * the exit code what it exits with: 2 for command-line errors (ipvsadm.c fail(2, ...)), 255 for
 * errors the kernel returns (process_options returns -1, printed via ipvs_strerror).
 */
import { ERROR_CODES, UlvsError, type ErrorCode } from '../core/errors.js';

/** A rejected ipvsadm command or rule change, with ipvsadm's message and exit status. */
export class IpvsadmError extends UlvsError {
  /**
   * For kernel-side errors, the errno ip_vs_ctl.c returns (EEXIST, ESRCH, ENOENT, EINVAL, ERANGE,
   * ENOMEM): what callers such as the reload applier branch on; undefined for command-line errors.
   */
  readonly errno?: IpvsErrno;
  constructor(
    message: string,
    readonly exitCode: number = 2,
    errno?: IpvsErrno,
    code: ErrorCode = ERROR_CODES.Ipvsadm,
  ) {
    super(message, code);
    if (errno) this.errno = errno;
  }
}

/** The errno values the kernel returns for rule changes. */
export type IpvsErrno = 'EEXIST' | 'ESRCH' | 'ENOENT' | 'EINVAL' | 'ERANGE' | 'ENOMEM';

/** A command-line error (exit 2), as ipvsadm's fail(2, ...). */
export function usageFail(message: string): never {
  throw new IpvsadmError(message, 2);
}

/** A kernel-side error (exit 255) with libipvs's ipvs_strerror text and the kernel's errno. */
export function kernelFail(message: string, errno: IpvsErrno): never {
  throw new IpvsadmError(message, 255, errno);
}

/** ipvsadm's tryhelp_exit text (exit 255). */
export function tryHelp(program = 'ipvsadm'): never {
  throw new IpvsadmError(`Try \`${program} -h' or '${program} --help' for more information.`, 255);
}
