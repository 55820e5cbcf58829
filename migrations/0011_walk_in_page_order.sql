-- Pages and views read about as many index entries as they show.
--
-- Work-queue pages filtered by a verification are walked in customer order straight off an
-- index, fifty customers at a time, instead of collecting every matching verification first
-- (a page cost the size of the match, 0.1–0.2 s at a million customers).

-- Each index a page walks carries what the page checks on the way (the snooze date, the
-- state), so a page reads no verification row at all: at a million customers a row read is a
-- page read from the disk more often than not.

-- Method alone (the state is optional) must be ordered by customer: the old index put the
-- state in between.
DROP INDEX identity_verifications_by_method;
CREATE INDEX identity_verifications_by_method
    ON identity_verifications (method, customer_id, state, snoozed_until);

DROP INDEX identity_verifications_by_state;
CREATE INDEX identity_verifications_by_state ON identity_verifications (state, customer_id, snoozed_until);

DROP INDEX identity_verifications_by_assignee;
CREATE INDEX identity_verifications_by_assignee
    ON identity_verifications (assignee, customer_id, state, snoozed_until)
    WHERE assignee IS NOT NULL;

-- "SLA breached": open cases in customer order, each with its due time at hand.
CREATE INDEX identity_verifications_open_by_customer
    ON identity_verifications (customer_id, sla_due_at, state, snoozed_until)
    WHERE state IN ('storing', 'waiting', 'pending', 'reviewing');

-- A case's pending four-eyes requests, shown with the case after every command on it: found by
-- the case itself, not by reading every pending request.
CREATE INDEX approvals_pending_by_entity ON approvals (entity_id, seq) WHERE state = 'pending';
