-- A customer's page shows what waits for or reached each provider: the outbox by customer
-- (every message's aggregate is a customer), in delivery order, whatever its status.
CREATE INDEX outbox_by_customer ON outbox (aggregate_id, seq);
