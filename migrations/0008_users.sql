-- Local users who sign in (issue 6): a name, an Argon2id password hash (a PHC string, never the
-- password), an active flag, and who created and last changed the account. Names are unique
-- without regard to ASCII letter case, so `Ana` and `ana` cannot be two people. Roles are a
-- normalised list: a user may hold several (a small firm's one person wearing two hats).
CREATE TABLE users (
    id            BLOB PRIMARY KEY,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at    TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    updated_by    TEXT NOT NULL
);
CREATE UNIQUE INDEX users_by_name ON users (name COLLATE NOCASE);

CREATE TABLE user_roles (
    user_id BLOB NOT NULL REFERENCES users (id),
    role    TEXT NOT NULL CHECK (role IN ('branch_staff', 'officer', 'supervisor', 'admin')),
    PRIMARY KEY (user_id, role)
) WITHOUT ROWID;
CREATE INDEX user_roles_by_role ON user_roles (role, user_id);
