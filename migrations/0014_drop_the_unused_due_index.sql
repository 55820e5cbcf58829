-- outbox_due (provider, status, next_attempt_at, seq) served no query: the worker's claim and
-- its "when is the next message due" both read outbox_by_status in seq order, because their
-- provider filter is optional ("?3 IS NULL OR provider = ?3") and so cannot seek an index by
-- provider. Every message a command queued was still written to it, in a page of its own per
-- provider: about three of the pages a verification's commit wrote.
DROP INDEX outbox_due;
