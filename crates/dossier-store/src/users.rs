//! Users and their roles in SQL. The password hash is read only to check a password; nothing here
//! logs or formats it.

use dossier_core::*;
use rusqlite::{OptionalExtension, Row, params};
use time::OffsetDateTime;

use crate::codec::{self, OrCorrupt};
use crate::customers::{blob, id_from};
use crate::{Result, Tx};

/// One user as stored. `Debug` leaves the password hash out.
#[derive(Clone, PartialEq, Eq)]
pub struct UserRow {
    pub id: UserId,
    pub name: UserName,
    pub roles: Vec<Role>,
    /// The Argon2id PHC string.
    pub password_hash: String,
    pub active: bool,
    pub created_at: OffsetDateTime,
    pub created_by: String,
    pub updated_at: OffsetDateTime,
    pub updated_by: String,
}

impl std::fmt::Debug for UserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRow")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("roles", &self.roles)
            .field("password_hash", &"<redacted>")
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

const COLUMNS: &str = "id, name, password_hash, active, created_at, created_by, updated_at, updated_by";

impl Tx<'_> {
    /// Whether any user exists (a data directory without one is not initialised).
    pub fn has_users(&self) -> Result<bool> {
        Ok(self.conn().prepare_cached("SELECT EXISTS (SELECT 1 FROM users)")?.query_row([], |r| r.get(0))?)
    }

    fn read_user(&self, r: &Row<'_>) -> Result<UserRow> {
        let id = UserId::from_bytes(id_from(r.get(0)?, "users", "id")?);
        Ok(UserRow {
            id,
            name: UserName::parse(&r.get::<_, String>(1)?).or_corrupt("users", "name")?,
            roles: self.roles_of(id)?,
            password_hash: r.get(2)?,
            active: r.get(3)?,
            created_at: codec::parse_timestamp(&r.get::<_, String>(4)?, "users", "created_at")?,
            created_by: r.get(5)?,
            updated_at: codec::parse_timestamp(&r.get::<_, String>(6)?, "users", "updated_at")?,
            updated_by: r.get(7)?,
        })
    }

    fn roles_of(&self, id: UserId) -> Result<Vec<Role>> {
        let mut stmt = self.conn().prepare_cached("SELECT role FROM user_roles WHERE user_id = ?1")?;
        let mut rows = stmt.query([blob(id.as_bytes())])?;
        let mut roles = Vec::new();
        while let Some(r) = rows.next()? {
            roles.push(Role::parse(&r.get::<_, String>(0)?).or_corrupt("user_roles", "role")?);
        }
        roles.sort();
        Ok(roles)
    }

    /// The user with this name, letter case aside.
    pub fn user_by_name(&self, name: &str) -> Result<Option<UserRow>> {
        let mut stmt =
            self.conn().prepare_cached(&format!("SELECT {COLUMNS} FROM users WHERE name = ?1 COLLATE NOCASE"))?;
        let mut rows = stmt.query([name.trim()])?;
        match rows.next()? {
            Some(r) => Ok(Some(self.read_user(r)?)),
            None => Ok(None),
        }
    }

    /// Every user, by name.
    pub fn users(&self) -> Result<Vec<UserRow>> {
        let mut stmt =
            self.conn().prepare_cached(&format!("SELECT {COLUMNS} FROM users ORDER BY name COLLATE NOCASE"))?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(self.read_user(r)?);
        }
        Ok(out)
    }

    pub fn insert_user(&self, u: &UserRow) -> Result<()> {
        self.conn()
            .prepare_cached(&format!("INSERT INTO users ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"))?
            .execute(params![
                blob(u.id.as_bytes()),
                u.name.as_str(),
                u.password_hash,
                u.active,
                codec::timestamp(u.created_at),
                u.created_by,
                codec::timestamp(u.updated_at),
                u.updated_by,
            ])?;
        self.put_roles(u.id, &u.roles)
    }

    fn put_roles(&self, id: UserId, roles: &[Role]) -> Result<()> {
        self.conn().prepare_cached("DELETE FROM user_roles WHERE user_id = ?1")?.execute([blob(id.as_bytes())])?;
        let mut stmt = self.conn().prepare_cached("INSERT INTO user_roles (user_id, role) VALUES (?1, ?2)")?;
        for role in roles {
            stmt.execute(params![blob(id.as_bytes()), role.as_str()])?;
        }
        Ok(())
    }

    fn touch_user(&self, id: UserId, at: OffsetDateTime, by: &UserName) -> Result<()> {
        self.conn()
            .prepare_cached("UPDATE users SET updated_at = ?2, updated_by = ?3 WHERE id = ?1")?
            .execute(params![blob(id.as_bytes()), codec::timestamp(at), by.as_str()])?;
        Ok(())
    }

    pub fn set_user_roles(&self, id: UserId, roles: &[Role], at: OffsetDateTime, by: &UserName) -> Result<()> {
        self.put_roles(id, roles)?;
        self.touch_user(id, at, by)
    }

    pub fn set_user_active(&self, id: UserId, active: bool, at: OffsetDateTime, by: &UserName) -> Result<()> {
        self.conn()
            .prepare_cached("UPDATE users SET active = ?2 WHERE id = ?1")?
            .execute(params![blob(id.as_bytes()), active])?;
        self.touch_user(id, at, by)
    }

    pub fn set_user_password(&self, id: UserId, hash: &str, at: OffsetDateTime, by: &UserName) -> Result<()> {
        self.conn()
            .prepare_cached("UPDATE users SET password_hash = ?2 WHERE id = ?1")?
            .execute(params![blob(id.as_bytes()), hash])?;
        self.touch_user(id, at, by)
    }

    /// How many active users hold `role`.
    pub fn active_users_with_role(&self, role: Role) -> Result<i64> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT count(*) FROM user_roles r JOIN users u ON u.id = r.user_id WHERE r.role = ?1 AND u.active = 1",
            )?
            .query_row([role.as_str()], |r| r.get(0))
            .optional()?
            .unwrap_or(0))
    }
}
