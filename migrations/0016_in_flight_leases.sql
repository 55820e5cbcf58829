-- The leases of in-flight messages, indexed on their own.
--
-- Each claim first takes back in-flight messages whose lease ran out (their worker died). It
-- found them by reading every in-flight message through outbox_by_status, and each one's row
-- for its lease: while a drain runs, hundreds of messages are in flight, so every claim read
-- hundreds of rows of about 800 bytes to find, nearly always, none. This index holds only
-- in-flight messages, by lease end, so that search reads the expired ones alone. Commands queue
-- pending messages, which it does not hold: a command writes no more pages for it.
CREATE INDEX outbox_leases ON outbox (next_attempt_at, seq) WHERE status = 'in_flight';
