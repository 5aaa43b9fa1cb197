/** A request a claim may take images from, with what its owner and it have in flight (costs, see image-cost.ts). */
export interface ClaimCandidate {
  queueOwner: string;
  weight: number;
  /** The owner's images in flight, in every worker process, by cost. */
  ownerCost: number;
  taskId: string;
  /** The cost of each of the request's images. */
  cost: number;
  /** The request's images in flight, by cost. */
  taskCost: number;
  /** Its images waiting for a worker (some may not be due yet: a retry's backoff). */
  queued: number;
}

/**
 * A claim of `limit` images deals them in turns of about `limit ÷ TURNS` of cost (at least one image)
 * for the owners of the greatest weight among the candidates, proportionally less for the others, each
 * turn from one request. Each owner and request a claim serves is a row of the queue's summary written,
 * by the claim and again by the batch that records the images: dealt one image a turn, a claim of 16 at
 * a backlog of 100 clients of equal weight wrote 32 such rows, against 8 in turns. The price is the
 * grain of the shares: while many clients wait with nothing in flight, a claim of 16 serves four of
 * them (the least recently served first), the next claim the next four, where one image a turn served
 * sixteen at once. Where a heavier key is among the candidates, the others' turns shrink toward one
 * image, and so do the savings.
 */
const TURNS = 4;

/**
 * How many images a claim of `limit` takes from each candidate request: in turns (see TURNS), each to
 * the owner with the least cost in flight for its weight (ties: in the candidates' order), and within
 * that owner to the request with the least cost in flight (ties: in order, so oldest first). An owner
 * whose next image would take what this process holds of it (`held`, by cost) past `maxHeld` gets no
 * more here. So an owner with many requests gets its share, not one per request, an owner's costly
 * images count against its own share, not against everyone's, and a turn's size follows its owner's
 * weight against the heaviest candidate's.
 */
export function fairShares(
  candidates: ClaimCandidate[],
  limit: number,
  held: ReadonlyMap<string, number>,
  maxHeld: number,
): Map<string, number> {
  const owners = new Map<string, OwnerTally>();
  for (const candidate of candidates) {
    const owner = owners.get(candidate.queueOwner) ?? {
      weight: candidate.weight,
      cost: candidate.ownerCost,
      held: held.get(candidate.queueOwner) ?? 0,
      tasks: [],
    };
    owner.tasks.push({ ...candidate });
    owners.set(candidate.queueOwner, owner);
  }
  const shares = new Map<string, number>();
  const heaviest = Math.max(...[...owners.values()].map((owner) => owner.weight));
  const turnCost = Math.ceil(limit / TURNS);
  for (let taken = 0; taken < limit;) {
    let best: { owner: OwnerTally; task: ClaimCandidate } | undefined;
    for (const owner of owners.values()) {
      if (best && owner.cost / owner.weight >= best.owner.cost / best.owner.weight) continue;
      const task = leastInFlight(owner.tasks);
      if (task && owner.held + task.cost <= maxHeld) best = { owner, task };
    }
    if (!best) break;
    const { owner, task } = best;
    const images = Math.min(
      // In integers: (turnCost / heaviest) * weight fell a hair short of whole for 82 weights in 1,000.
      Math.max(1, Math.floor((turnCost * owner.weight) / (heaviest * task.cost))),
      limit - taken,
      task.queued,
      Math.floor((maxHeld - owner.held) / task.cost),
    );
    task.queued -= images;
    task.taskCost += images * task.cost;
    owner.cost += images * task.cost;
    owner.held += images * task.cost;
    shares.set(task.taskId, (shares.get(task.taskId) ?? 0) + images);
    taken += images;
  }
  return shares;
}

/**
 * The candidates for another deal in the same claim, once `shares` were leased (`leased`: images per
 * request): each request with its images leased now in flight, its owner's cost with them; a request
 * that gave fewer than its share is left out: its other images wait out a retry's back-off (or, on
 * PostgreSQL, another process is leasing them). So a claim whose first deal went to requests waiting
 * out a back-off deals the rest to others (an owner's next request may take its turn again).
 */
export function afterLease(
  candidates: readonly ClaimCandidate[],
  shares: ReadonlyMap<string, number>,
  leased: ReadonlyMap<string, number>,
): ClaimCandidate[] {
  const ownerCost = new Map<string, number>();
  for (const candidate of candidates) {
    const added = (leased.get(candidate.taskId) ?? 0) * candidate.cost;
    ownerCost.set(candidate.queueOwner, (ownerCost.get(candidate.queueOwner) ?? candidate.ownerCost) + added);
  }
  return candidates
    .filter((candidate) => (leased.get(candidate.taskId) ?? 0) === (shares.get(candidate.taskId) ?? 0))
    .map((candidate) => {
      const images = leased.get(candidate.taskId) ?? 0;
      return {
        queueOwner: candidate.queueOwner,
        weight: candidate.weight,
        ownerCost: ownerCost.get(candidate.queueOwner)!,
        taskId: candidate.taskId,
        cost: candidate.cost,
        taskCost: candidate.taskCost + images * candidate.cost,
        queued: candidate.queued - images,
      };
    });
}

/** An owner as the claim goes: its cost in flight everywhere and held here, its requests (copies). */
interface OwnerTally {
  weight: number;
  cost: number;
  held: number;
  tasks: ClaimCandidate[];
}

/** The request with images left and the least cost in flight, the first of equals. */
function leastInFlight(tasks: ClaimCandidate[]): ClaimCandidate | undefined {
  let least: ClaimCandidate | undefined;
  for (const task of tasks) if (task.queued > 0 && (!least || task.taskCost < least.taskCost)) least = task;
  return least;
}
