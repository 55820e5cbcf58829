-- Global search over a customer's name, reference id and email addresses: the search box of the
-- customers table and the top bar. A contentless FTS5 index (no copy of the text, only its
-- tokens) keyed by the customers table's rowid; words are matched by prefix ('2 3' keeps
-- prefix indexes for short prefixes so the first keystrokes stay fast at a million rows).
-- Triggers keep it in step with every write, so no code path can forget it.
CREATE VIRTUAL TABLE customer_search USING fts5 (
    display_name, ref_id, emails,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);

INSERT INTO customer_search (rowid, display_name, ref_id, emails)
SELECT c.rowid, c.display_name, c.ref_id,
       coalesce((SELECT group_concat(e.value, ' ') FROM contacts e WHERE e.customer_id = c.id AND e.kind = 'email'), '')
FROM customers c;

CREATE TRIGGER customer_search_insert AFTER INSERT ON customers BEGIN
    INSERT INTO customer_search (rowid, display_name, ref_id, emails)
    VALUES (new.rowid, new.display_name, new.ref_id, '');
END;

CREATE TRIGGER customer_search_update AFTER UPDATE OF display_name, ref_id ON customers BEGIN
    DELETE FROM customer_search WHERE rowid = old.rowid;
    INSERT INTO customer_search (rowid, display_name, ref_id, emails)
    VALUES (new.rowid, new.display_name, new.ref_id,
            coalesce((SELECT group_concat(e.value, ' ') FROM contacts e
                      WHERE e.customer_id = new.id AND e.kind = 'email'), ''));
END;

CREATE TRIGGER customer_search_delete AFTER DELETE ON customers BEGIN
    DELETE FROM customer_search WHERE rowid = old.rowid;
END;

CREATE TRIGGER customer_search_contact_insert AFTER INSERT ON contacts WHEN new.kind = 'email' BEGIN
    DELETE FROM customer_search WHERE rowid = (SELECT rowid FROM customers WHERE id = new.customer_id);
    INSERT INTO customer_search (rowid, display_name, ref_id, emails)
    SELECT c.rowid, c.display_name, c.ref_id,
           coalesce((SELECT group_concat(e.value, ' ') FROM contacts e WHERE e.customer_id = c.id AND e.kind = 'email'), '')
    FROM customers c WHERE c.id = new.customer_id;
END;

CREATE TRIGGER customer_search_contact_update AFTER UPDATE OF value, kind ON contacts BEGIN
    DELETE FROM customer_search WHERE rowid = (SELECT rowid FROM customers WHERE id = new.customer_id);
    INSERT INTO customer_search (rowid, display_name, ref_id, emails)
    SELECT c.rowid, c.display_name, c.ref_id,
           coalesce((SELECT group_concat(e.value, ' ') FROM contacts e WHERE e.customer_id = c.id AND e.kind = 'email'), '')
    FROM customers c WHERE c.id = new.customer_id;
END;

CREATE TRIGGER customer_search_contact_delete AFTER DELETE ON contacts WHEN old.kind = 'email' BEGIN
    DELETE FROM customer_search WHERE rowid = (SELECT rowid FROM customers WHERE id = old.customer_id);
    INSERT INTO customer_search (rowid, display_name, ref_id, emails)
    SELECT c.rowid, c.display_name, c.ref_id,
           coalesce((SELECT group_concat(e.value, ' ') FROM contacts e WHERE e.customer_id = c.id AND e.kind = 'email'), '')
    FROM customers c WHERE c.id = old.customer_id;
END;
