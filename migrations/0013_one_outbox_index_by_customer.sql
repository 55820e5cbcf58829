-- One index fewer for every outbox message a command queues.
--
-- The worker's question before it sends a message (is an older message of the same provider and
-- customer still unfinished?) had an index of its own, outbox_by_aggregate (provider,
-- aggregate_id, seq), and the customer page's list had outbox_by_customer (aggregate_id, seq).
-- One index on (aggregate_id, seq, provider, status) answers both: the list walks a customer's
-- messages in seq order as before, and the worker reads the few earlier messages of the
-- customer from the index alone. Each message a command queued wrote both indexes, and the
-- provider-keyed one put each of a command's four messages (one per provider) in another leaf:
-- 1.2 to 2.5 of the 17 to 30 pages a command's commit encrypts and writes.
DROP INDEX outbox_by_aggregate;
DROP INDEX outbox_by_customer;
CREATE INDEX outbox_by_customer ON outbox (aggregate_id, seq, provider, status);
