import { HttpModule, type HttpModuleOptions, HttpService } from '@nestjs/axios';
import { Module, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { checkRequestUrl } from './address-policy.js';
import { GuardedAgents } from './guarded-agents.js';
import { SafeHttpModule } from './safe-http.module.js';

/**
 * The axios defaults that keep a request inside the address policy: only the guarded agents connect
 * (`proxy: false`, since a proxy would resolve the name itself, past the guard; none is taken from the
 * environment either), no redirect is followed (a 3xx is an answer like any other), every status is
 * returned rather than thrown, and the body comes as an unread stream, undecoded: nothing is buffered
 * unless the caller reads it, bounded, or it destroys it at once.
 */
function guardedAxiosDefaults(agents: GuardedAgents): HttpModuleOptions {
  return {
    adapter: 'http',
    httpAgent: agents.http,
    httpsAgent: agents.https,
    proxy: false,
    maxRedirects: 0,
    responseType: 'stream',
    decompress: false,
    validateStatus: () => true,
  };
}

/**
 * `@nestjs/axios`'s HttpService for URLs that customers control (webhooks), so the service can be extended
 * the Nest way (interceptors on `axiosRef`, other agents' options), with the same guard as image downloads:
 * the guarded agents' DNS lookup refuses non-public addresses when connecting, and a request interceptor
 * refuses what never reaches a lookup (IP-literal hosts, `localhost`, schemes other than http(s)).
 */
@Module({
  imports: [
    HttpModule.registerAsync({
      imports: [SafeHttpModule],
      inject: [GuardedAgents],
      useFactory: guardedAxiosDefaults,
    }),
  ],
  exports: [HttpModule],
})
export class GuardedHttpModule implements OnModuleInit {
  constructor(
    private readonly http: HttpService,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    const axios = this.http.axiosRef;
    axios.interceptors.request.use((request) => {
      checkRequestUrl(axios.getUri(request), this.config.downloads.allowPrivateUrls);
      return request;
    });
  }
}
