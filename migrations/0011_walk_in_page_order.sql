-- Pages and views read about as many index entries as they show.
--
-- Work-queue pages filtered by a verification are walked in customer order straight off an
-- index, fifty customers at a time, instead of collecting every matching verification first
-- (a page cost the size of the match, 0.1–0.2 s at a million customers).

-- Method alone (the state is optional) must be ordered by customer: the old index put the
-- state in between. The state stays in the index so "method and state" needs no table read.
DROP INDEX identity_verifications_by_method;
CREATE INDEX identity_verifications_by_method ON identity_verifications (method, customer_id, state);

-- "SLA breached": open cases in customer order, each with its due time at hand.
CREATE INDEX identity_verifications_open_by_customer ON identity_verifications (customer_id, sla_due_at)
    WHERE state IN ('storing', 'waiting', 'pending', 'reviewing');

-- A case's pending four-eyes requests, shown with the case after every command on it: found by
-- the case itself, not by reading every pending request.
CREATE INDEX approvals_pending_by_entity ON approvals (entity_id, seq) WHERE state = 'pending';
