/**
 * SFTP v3 status codes and the mapping from Node errors to them. A handler refuses a request
 * by throwing `StatusError`; anything else it throws becomes FAILURE with the error's message.
 */
export const STATUS = {
  OK: 0,
  EOF: 1,
  NO_SUCH_FILE: 2,
  PERMISSION_DENIED: 3,
  FAILURE: 4,
  BAD_MESSAGE: 5,
  NO_CONNECTION: 6,
  CONNECTION_LOST: 7,
  OP_UNSUPPORTED: 8,
} as const;

export type StatusCode = (typeof STATUS)[keyof typeof STATUS];

export class StatusError extends Error {
  readonly status: StatusCode;
  constructor(status: StatusCode, message: string) {
    super(message);
    this.name = 'StatusError';
    this.status = status;
  }
}

export const denied = (msg = 'Permission denied'): StatusError => new StatusError(STATUS.PERMISSION_DENIED, msg);
export const noSuchFile = (msg = 'No such file'): StatusError => new StatusError(STATUS.NO_SUCH_FILE, msg);
export const failure = (msg: string): StatusError => new StatusError(STATUS.FAILURE, msg);

/** errno code of a Node system error, if it is one. */
export function errnoOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function toStatus(e: unknown): { code: StatusCode; message: string } {
  if (e instanceof StatusError) return { code: e.status, message: e.message };
  const errno = errnoOf(e);
  switch (errno) {
    case 'ENOENT':
    case 'ENOTDIR':
      return { code: STATUS.NO_SUCH_FILE, message: 'No such file' };
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return { code: STATUS.PERMISSION_DENIED, message: 'Permission denied' };
  }
  // The message goes to the remote: the errno is useful there, local paths are not.
  const message = errno ?? (e instanceof Error ? e.message : String(e));
  return { code: STATUS.FAILURE, message };
}
