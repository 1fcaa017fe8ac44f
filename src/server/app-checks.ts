/**
 * The app's own hooks, `authorize` and `check`, read strictly: only an explicit yes lets a request through, and a
 * hook that throws refuses (logged on the server, never detailed to the browser).
 */
import { errorResponse } from './errors.js';
import type { ClaudeRoute } from './routes.js';
import type { StoreLogger } from './store/types.js';
import type { MessagesParams } from './validate.js';

export type AuthorizeVerdict = boolean | Response | void;

/** What `check` may answer: allow (`true` or nothing), refuse with a 400 saying why (a string, or `false`), or answer itself. */
export type CheckVerdict = boolean | string | Response | void;

/** The refusal to answer with, or undefined when the request may go on. */
/** What `authorize` is told besides the request: which of Claude's endpoints it is for. */
export interface AuthorizeContext {
  route: ClaudeRoute;
}

export async function authorized(
  authorize: ((request: Request, context: AuthorizeContext) => AuthorizeVerdict | Promise<AuthorizeVerdict>) | undefined,
  request: Request,
  logger: StoreLogger,
  context: AuthorizeContext,
): Promise<Response | undefined> {
  if (!authorize) return undefined;
  let verdict: unknown;
  try {
    verdict = await authorize(request, context);
  } catch (error) {
    logger.warn('authorize threw; the request was refused.', error);
    return errorResponse(500, 'api_error', "This app's server could not check whether this request is allowed.");
  }
  // Only an explicit allow: a stray null, 0 or 'yes' from a half-written hook must not open the door.
  if (verdict === true || verdict === undefined) return undefined;
  if (verdict instanceof Response) return verdict;
  return errorResponse(401, 'authentication_error', 'This request is not authorized to use Claude.');
}

/** The user a request is for (`userKey`), undefined without one, or the 500 to answer when it throws. */
export async function userOf(
  userKey: ((request: Request) => string | undefined | Promise<string | undefined>) | undefined,
  request: Request,
  logger: StoreLogger,
): Promise<string | undefined | Response> {
  if (!userKey) return undefined;
  let key: unknown;
  try {
    key = await userKey(request);
  } catch (error) {
    logger.warn('userKey threw; the request was refused.', error);
    return errorResponse(500, 'api_error', "This app's server could not tell whose request this is.");
  }
  if (key === undefined) return '';
  if (typeof key !== 'string') {
    logger.warn(`userKey must return a string or undefined; it returned ${typeof key}. The request was refused.`);
    return errorResponse(500, 'api_error', "This app's server could not tell whose request this is.");
  }
  return key;
}

export async function checked(
  check: ((params: MessagesParams, request: Request) => CheckVerdict | Promise<CheckVerdict>) | undefined,
  params: MessagesParams,
  request: Request,
  logger: StoreLogger,
): Promise<Response | undefined> {
  if (!check) return undefined;
  let verdict: CheckVerdict;
  try {
    verdict = await check(params, request);
  } catch (error) {
    logger.warn('check threw; the request was refused.', error);
    return errorResponse(500, 'api_error', "This app's server could not check this request.");
  }
  if (verdict === true || verdict === undefined) return undefined;
  if (verdict instanceof Response) return verdict;
  return errorResponse(400, 'invalid_request_error', typeof verdict === 'string' ? verdict : 'This request is not allowed by this app.');
}
