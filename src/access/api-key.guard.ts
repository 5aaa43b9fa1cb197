import { type CanActivate, type ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '../config/app-config.js';
import { OPEN_OWNER, type Owner } from './owner.js';
import { IS_PUBLIC } from './public.decorator.js';

const digest = (key: string) => createHash('sha256').update(key).digest();

/**
 * With API_KEYS set, every API call but the public ones needs `Authorization: Bearer <key>` or
 * `X-API-Key: <key>`, compared in constant time (digests of equal length, every key compared); the
 * key's name becomes the caller's owner. Without API_KEYS the service is open: one owner for all.
 * The one place the check lives, so keys in a table can replace the list later.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: Array<{ name: string; digest: Buffer }>;

  constructor(
    config: AppConfig,
    private readonly reflector: Reflector,
  ) {
    this.keys = config.access.keys.map(({ name, key }) => ({ name, digest: digest(key) }));
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request & { owner?: Owner }>();
    if (this.keys.length === 0) {
      request.owner = OPEN_OWNER;
      return true;
    }
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]))
      return true;
    const owner = this.ownerOf(presentedKey(request));
    if (owner === undefined) {
      context.switchToHttp().getResponse<Response>().setHeader('WWW-Authenticate', 'Bearer');
      throw new UnauthorizedException(
        'an API key is required: send it as "Authorization: Bearer <key>" or "X-API-Key: <key>"',
      );
    }
    request.owner = owner;
    return true;
  }

  private ownerOf(presented: string | undefined): Owner | undefined {
    if (presented === undefined) return undefined;
    const candidate = digest(presented);
    let owner: Owner | undefined;
    for (const key of this.keys) if (timingSafeEqual(candidate, key.digest)) owner = key.name;
    return owner;
  }
}

function presentedKey(request: Request): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
  const header = request.headers['x-api-key'];
  return bearer ?? (typeof header === 'string' && header !== '' ? header : undefined);
}

/** The OpenAPI description of the 401 every operation behind a key can answer. */
export const API_KEY_REQUIRED = {
  description: 'API_KEYS is set and no valid key was sent',
  message: 'an API key is required: send it as "Authorization: Bearer <key>" or "X-API-Key: <key>"',
};
