import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import type { DownloadResult, KnownVersion, NotModified } from '../../http/safe-http-client.js';
import { type DoneOutcome, imageResult, type SourceVersion } from '../outcomes/image-outcome.js';
import type { ClaimedImage } from '../queue/image-queue.js';
import { contentSha256Of, optionsKeyOf, urlKeyOf } from './reuse-keys.js';
import { type RecalledSource, SourceMemory } from './source-memory.js';

/** What an image's processing knows before its download: its keys, and its owner's last import of its URL. */
export interface ReusePlan {
  optionsKey: string;
  urlKey: string;
  /** Whether an earlier output may be reused (not with `refresh`, nor once a reused output was gone). */
  reusing: boolean;
  recalled?: RecalledSource;
  /** What the download revalidates: the recalled validators, at the URL that answered with them. */
  known?: KnownVersion;
}

/**
 * Decides whether an image reuses an earlier output of its owner's (same owner, same output options):
 * its source answered 304 to a conditional GET with the validators its last import kept (`revalidated`),
 * or its bytes hash to an input already made into an output (`content_match`). Never across owners:
 * every read is by the image's queue owner. A first import pays one indexed read before the download,
 * a hash off the main thread and one indexed read after it.
 */
@Injectable()
export class SourceReuse {
  /** Plans begun for claimed images (prepare), by image id, until the image's processing takes its own. */
  private readonly prepared = new Map<string, Promise<ReusePlan>>();

  constructor(
    private readonly memory: SourceMemory,
    private readonly config: AppConfig,
  ) {}

  /**
   * Begins the plans of a claim's images at once, so their reads share one statement (images starting
   * one by one, as slots free up, shared theirs with a neighbour or two). A plan read early may be stale
   * by the time its image starts; that costs no correctness: an output gone meanwhile is caught when
   * its reuse is recorded (ReuseLedger), and a source recorded meanwhile is matched by content.
   */
  prepare(images: readonly ClaimedImage[]): void {
    for (const image of images) {
      const plan = this.planNow(image, false);
      plan.catch(() => undefined); // read again when the image takes its plan
      this.prepared.set(image.id, plan);
    }
  }

  /** `fresh`: no reuse at all (no read, no conditional GET), as the upload's `refresh` asks. */
  plan(image: ClaimedImage, fresh: boolean): Promise<ReusePlan> {
    const prepared = this.prepared.get(image.id);
    this.prepared.delete(image.id);
    if (!prepared || fresh) return this.planNow(image, fresh);
    // A read that failed at claim time (the database briefly away) is made again, not inherited.
    return prepared.catch(() => this.planNow(image, false));
  }

  private async planNow(image: ClaimedImage, fresh: boolean): Promise<ReusePlan> {
    const optionsKey = optionsKeyOf(image.outputOptions, this.config.output.autoQualityTarget);
    const urlKey = urlKeyOf(image.inputUrl);
    const reusing = !fresh && !image.outputOptions.refresh;
    const recalled = reusing ? await this.memory.recall(image.queueOwner, optionsKey, urlKey) : undefined;
    const known = recalled && { validators: recalled.validators, url: recalled.finalUrl ?? image.inputUrl };
    return { optionsKey, urlKey, reusing, recalled, known };
  }

  /** The source answered 304: the image is done with the output its last import made. */
  revalidated(image: ClaimedImage, plan: ReusePlan, answer: NotModified): DoneOutcome {
    const source = sourceVersion(plan, answer, null);
    return {
      kind: 'reused',
      image,
      how: 'revalidated',
      result: imageResult(plan.recalled!.output, 0),
      source,
    };
  }

  /**
   * After a 200: the source's version (its validators and the SHA-256 of its bytes) and, when the owner
   * made an output with the same options from the same bytes, the outcome that reuses it.
   */
  async downloaded(
    image: ClaimedImage,
    plan: ReusePlan,
    download: DownloadResult,
  ): Promise<{ source: SourceVersion; reused?: DoneOutcome }> {
    const contentSha256 = await contentSha256Of(download.body);
    const source = sourceVersion(plan, download, contentSha256);
    if (!plan.reusing) return { source };
    const output = await this.memory.withContent(image.queueOwner, plan.optionsKey, contentSha256);
    if (!output) return { source };
    const result = imageResult(output, download.body.length);
    return { source, reused: { kind: 'reused', image, how: 'content_match', result, source } };
  }
}

/** The source's version as a download (200 or 304) found it, in one object literal (see imageResult). */
function sourceVersion(
  plan: ReusePlan,
  answer: Pick<SourceVersion, 'validators' | 'finalUrl'>,
  contentSha256: string | null,
): SourceVersion {
  return {
    optionsKey: plan.optionsKey,
    urlKey: plan.urlKey,
    validators: answer.validators,
    finalUrl: answer.finalUrl,
    contentSha256,
  };
}
