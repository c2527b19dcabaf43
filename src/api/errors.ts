/**
 * The one writer of error bodies `{"error":{code,message,path?}}` (koa's
 * ctx.onerror). Messages are shown for 4xx only; 503 carries Retry-After.
 */
import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import { JobtreeError, UnavailableError, ValidationError } from '../shared/errors.js';

interface HttpishError {
  status?: number;
  statusCode?: number;
  expose?: boolean;
  message?: string;
  type?: string;
}

export function errorMiddleware(logger: Logger) {
  return async (ctx: Context, next: Next): Promise<void> => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        ctx.status = 404;
        ctx.body = { error: { code: 'NOT_FOUND', message: `no route ${ctx.method} ${ctx.path}` } };
      }
    } catch (err) {
      let status = 500;
      let code = 'INTERNAL';
      let message = 'internal error';
      let path: string | undefined;
      if (err instanceof JobtreeError) {
        status = err.status;
        code = String(err.code);
        if (status < 500 || status === 503) message = err.message;
        if (err instanceof ValidationError) path = err.path;
        if (err instanceof UnavailableError) ctx.set('Retry-After', String(err.retryAfterS));
      } else {
        // errors of koa and its body parser carry a status (413, 400, 415)
        const e = err as HttpishError;
        const s = e.status ?? e.statusCode;
        if (s && s >= 400 && s < 500) {
          status = s;
          code = s === 413 ? 'TOO_LARGE' : s === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'VALIDATION';
          message = e.message ?? 'bad request';
        }
      }
      // a 503 is an answer (Redis away, a big read refused), not a fault: no error line each
      if (err instanceof UnavailableError)
        logger.debug({ code, method: ctx.method, path: ctx.path }, 'request refused for now');
      else if (status >= 500)
        logger.error({ err, method: ctx.method, path: ctx.path }, 'request failed');
      ctx.status = status;
      ctx.body = { error: { code, message, ...(path !== undefined ? { path } : {}) } };
    }
  };
}
