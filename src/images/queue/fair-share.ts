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
 * A claim deals its images out in at most this many turns: a turn gives its owner `limit ÷ TURNS`
 * of cost (at least one image), from one request. Each owner and request a claim serves is a row of the
 * queue's summary written, by the claim and again by the batch that records the images; dealt one image
 * a turn, a claim of 16 at a backlog of 100 clients wrote 32 such rows where 8 do. Over successive
 * claims the shares are the same: the next turn goes to whoever then has the least in flight. A claim
 * of up to TURNS images is still dealt one at a time.
 */
const TURNS = 4;

/**
 * How many images a claim of `limit` takes from each candidate request: in turns (TURNS), each to the
 * owner with the least cost in flight for its weight (ties: in the candidates' order), and within that
 * owner to the request with the least cost in flight (ties: in order, so oldest first). An owner whose
 * next image would take what this process holds of it (`held`, by cost) past `maxHeld` gets no more
 * here. So an owner with many requests gets its share, not one per request, and an owner's costly
 * images count against its own share, not against everyone's.
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
      Math.max(1, Math.floor(turnCost / task.cost)),
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
