/**
 * The bridge's token on A1111 routes, taken the ways A1111 clients send credentials: as the
 * password of HTTP Basic auth (A1111's --api-auth user:pass; any user name) or as a Bearer token
 * (our own clients). Refusals are A1111's: 401 with WWW-Authenticate: Basic, "Not authenticated"
 * without credentials, "Incorrect username or password" with wrong ones.
 */
import type { NextFunction, Request, Response } from 'express';
import { tokenMatches } from '../config/token.js';
import { httpException, sendA1111Error } from './errors.js';

const CHALLENGE = { 'WWW-Authenticate': 'Basic' };

/** The secret a request presents: the Basic password or the Bearer token, or undefined. */
export function presentedToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const bearer = /^Bearer\s+(.+)$/i.exec(header);
  if (bearer) return bearer[1];
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
  if (!basic) return undefined;
  const decoded = Buffer.from(basic[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

export function a1111Auth(token: string | null): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    if (token === null) return next();
    const header = req.headers.authorization;
    if (header === undefined || header === '') return sendA1111Error(res, httpException(401, 'Not authenticated', CHALLENGE));
    if (tokenMatches(presentedToken(header), token)) return next();
    sendA1111Error(res, httpException(401, 'Incorrect username or password', CHALLENGE));
  };
}
