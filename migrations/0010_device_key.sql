-- The device key: an ed25519 key pair made once per data directory, which signs audit exports
-- (`dossier export audit --format jsonl`) so that a file can be checked offline and traced to
-- the data directory that wrote it. One row at most; the key is never changed or removed, since
-- every export it signed would then no longer be recognised as this device's. (Numbered 0010:
-- 0008 and 0009 belong to other work in progress; this file depends on none of them.)
CREATE TABLE device_key (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    algorithm   TEXT NOT NULL CHECK (algorithm = 'ed25519'),
    secret_key  BLOB NOT NULL CHECK (length(secret_key) = 32),
    public_key  BLOB NOT NULL CHECK (length(public_key) = 32),
    created_at  TEXT NOT NULL
);

CREATE TRIGGER device_key_no_update BEFORE UPDATE ON device_key
BEGIN
    SELECT RAISE(ABORT, 'the device key cannot be changed');
END;

CREATE TRIGGER device_key_no_delete BEFORE DELETE ON device_key
BEGIN
    SELECT RAISE(ABORT, 'the device key cannot be removed');
END;
