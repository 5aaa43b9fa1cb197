import dns from 'node:dns';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { createGuardedLookup, type LookupAllFunction } from './address-policy.js';

/**
 * Provider token: the DNS lookup behind the guard (`dns.lookup`; tests override it with a fake).
 * @public
 */
export const SAFE_HTTP_DNS_LOOKUP = Symbol('SAFE_HTTP_DNS_LOOKUP');

/** The provider of SAFE_HTTP_DNS_LOOKUP outside tests. */
export const SYSTEM_DNS_LOOKUP = { provide: SAFE_HTTP_DNS_LOOKUP, useValue: dns.lookup };

/**
 * The keep-alive `http`/`https` agents every outgoing request to a customer's URL goes through, whichever
 * client sends it: their DNS lookup refuses a name if any of its addresses is not public (unless
 * ALLOW_PRIVATE_URLS), at the moment of connecting, so DNS rebinding does not pass. IP-literal hosts never
 * reach a lookup: the clients check them first (checkRequestUrl).
 */
@Injectable()
export class GuardedAgents implements OnApplicationShutdown {
  readonly http: HttpAgent;
  readonly https: HttpsAgent;

  constructor(config: AppConfig, @Inject(SAFE_HTTP_DNS_LOOKUP) dnsLookup: LookupAllFunction) {
    const lookup = createGuardedLookup({
      allowPrivate: config.downloads.allowPrivateUrls,
      lookup: dnsLookup,
    });
    this.http = new HttpAgent({ keepAlive: true, lookup });
    this.https = new HttpsAgent({ keepAlive: true, lookup });
  }

  onApplicationShutdown(): void {
    this.http.destroy();
    this.https.destroy();
  }
}
