/**
 * One statement (so one snapshot, on PostgreSQL too, while workers run): the rows of the queue's
 * summary (queue_tasks, queue_owners) that disagree with the images they count, as readable lines;
 * none when the summary is exact. A request counts its non-duplicate queued images and its processing
 * ones (and their cost); an owner, its requests' sums.
 */
export const QUEUE_SUMMARY_MISMATCHES = `
  SELECT 'request ' || task_id || ': summary ' || queued_images || ' queued, ' || in_flight_images || ' in flight (cost '
         || in_flight_cost || '); images ' || queued || ' queued, ' || in_flight || ' in flight' AS mismatch
    FROM (SELECT q.*,
                 (SELECT COUNT(*) FROM images i WHERE i.task_id = q.task_id AND i.status = 'queued' AND i.duplicate_of IS NULL) AS queued,
                 (SELECT COUNT(*) FROM images i WHERE i.task_id = q.task_id AND i.status = 'processing') AS in_flight
            FROM queue_tasks q) c
   WHERE queued_images <> queued OR in_flight_images <> in_flight OR in_flight_cost <> in_flight * cost
  UNION ALL
  SELECT 'owner ' || owner || ': summary ' || queued_images || ' queued, cost ' || in_flight_cost || ' in flight; its requests '
         || queued || ' queued, cost ' || in_flight AS mismatch
    FROM (SELECT o.owner, o.queued_images, o.in_flight_cost,
                 (SELECT COALESCE(SUM(q.queued_images), 0) FROM queue_tasks q WHERE q.owner = o.owner) AS queued,
                 (SELECT COALESCE(SUM(q.in_flight_cost), 0) FROM queue_tasks q WHERE q.owner = o.owner) AS in_flight
            FROM queue_owners o) c
   WHERE queued_images <> queued OR in_flight_cost <> in_flight`;
