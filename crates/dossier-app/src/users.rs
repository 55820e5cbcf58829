//! Users, roles and signing in. Passwords are hashed with Argon2id (PHC strings, the `argon2`
//! crate's defaults: 19 MiB, two passes); a password is never stored, logged or put in an audit
//! event, and `Debug` of a [`Password`] is redacted. [`Dossier::sign_in`] is the one way to an
//! [`Actor`]: an unknown name, a wrong password and a disabled user get the same answer after
//! the same work (a hash is checked even for a name that does not exist).

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use dossier_core::*;
use dossier_store::{Tx, UserRow};
use serde::Serialize;
use serde_json::json;
use ts_rs::TS;
use zeroize::Zeroizing;

use crate::convert::timestamp;
use crate::error::{Error, Problem, Reason, Result};
use crate::{Dossier, Env};

/// A password as typed: zeroed when dropped, never printed.
#[derive(Clone)]
pub struct Password(Zeroizing<String>);

impl Password {
    pub fn new(text: impl Into<String>) -> Self {
        Self(Zeroizing::new(text.into()))
    }
    /// Whether two typed passwords are the same (a new password typed twice).
    pub fn same_as(&self, other: &Password) -> bool {
        *self.0 == *other.0
    }
    fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;
const MAX_PASSWORD_CHARS: usize = 256;
/// Names Dossier's own processes act under, so no person can.
const RESERVED_NAMES: &[&str] = &["sync", "system"];

/// A user, as shown to admins. Never the password or its hash.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct UserView {
    pub id: String,
    pub name: String,
    pub roles: Vec<&'static str>,
    pub active: bool,
    pub created_at: String,
    pub created_by: String,
    pub updated_at: String,
    pub updated_by: String,
}

fn view(u: &UserRow) -> UserView {
    UserView {
        id: u.id.to_string(),
        name: u.name.as_str().to_owned(),
        roles: u.roles.iter().map(|r| r.as_str()).collect(),
        active: u.active,
        created_at: timestamp(u.created_at),
        created_by: u.created_by.clone(),
        updated_at: timestamp(u.updated_at),
        updated_by: u.updated_by.clone(),
    }
}

fn hash(password: &Password) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.expose(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| Error::Unexpected(Problem::new("internal_error", "the password could not be hashed: report this")))
}

fn matches(phc: &str, password: &Password) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(password.expose(), &h).is_ok())
}

/// A hash checked for unknown names, so that a wrong name costs the same time as a wrong
/// password. It is a constant (of a random password nobody kept) made with the same parameters
/// as every new hash, so even a process's first check does no extra work.
const DECOY: &str = "$argon2id$v=19$m=19456,t=2,p=1$B7F1fjxDivW8fOcIdYzPxQ$GqpdsCD7/nWmXMrVmVdIv0mU/Zywlqdm6kMav+Fclc8";

fn conflict(code: &str, message: &str) -> Error {
    Error::Conflict(Problem::new(code, message).with_reasons(vec![Reason::new(code, message)]))
}

fn sign_in_failed() -> Error {
    let message = "sign-in failed: the user name or password is wrong, or the user is disabled";
    Error::Unauthenticated(
        Problem::new("sign_in_failed", message).with_reasons(vec![Reason::new("sign_in_failed", message)]),
    )
}

/// 409 `not_initialised`: a data directory with no user yet.
pub fn not_initialised() -> Error {
    conflict("not_initialised", "this data directory has no users yet: run dossier init --admin NAME first")
}

/// An account name: 1 to 64 ASCII letters, digits and `. _ - @`, starting with a letter or a
/// digit, and not one of the names Dossier's processes use.
fn account_name(raw: &str) -> Result<UserName> {
    let name = raw.trim();
    let bad = |message: &str| Error::invalid_input(vec![Reason::field("name", "invalid_user_name", message)]);
    if name.is_empty() || name.len() > 64 {
        return Err(bad("name must be 1 to 64 characters"));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric())
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
    {
        return Err(bad("name may hold letters, digits and . _ - @, and starts with a letter or digit"));
    }
    if RESERVED_NAMES.iter().any(|r| r.eq_ignore_ascii_case(name)) {
        return Err(bad("name is reserved for Dossier's own processes: choose another"));
    }
    UserName::parse(name).map_err(|e| Error::invalid_input(vec![Reason::from_value_error("name", &e)]))
}

fn check_password(field: &str, password: &Password) -> Result<()> {
    let n = std::str::from_utf8(password.expose()).map_or(0, |s| s.chars().count());
    if n < MIN_PASSWORD_CHARS {
        return Err(Error::invalid_input(vec![Reason::field(
            field,
            "password_too_short",
            format!("{field} must have at least {MIN_PASSWORD_CHARS} characters"),
        )]));
    }
    if n > MAX_PASSWORD_CHARS {
        let e = ValueError::TooLong { max: MAX_PASSWORD_CHARS };
        return Err(Error::invalid_input(vec![Reason::from_value_error(field, &e)]));
    }
    Ok(())
}

fn parse_roles(raw: &[String]) -> Result<Vec<Role>> {
    if raw.is_empty() {
        return Err(Error::invalid_input(vec![Reason::field("roles", "required", "give at least one role")]));
    }
    let mut reasons = Vec::new();
    let mut roles = Vec::new();
    for (i, r) in raw.iter().enumerate() {
        match Role::parse(r) {
            Ok(role) => roles.push(role),
            Err(e) => reasons.push(Reason::from_value_error(&format!("roles[{i}]"), &e)),
        }
    }
    if !reasons.is_empty() {
        return Err(Error::invalid_input(reasons));
    }
    roles.sort();
    roles.dedup();
    Ok(roles)
}

fn load_user(tx: &Tx<'_>, name: &str) -> Result<UserRow> {
    tx.user_by_name(name)?.ok_or_else(|| Error::not_found("user"))
}

impl Env {
    fn audit_user(
        &self,
        tx: &Tx<'_>,
        actor: &UserName,
        action: &'static str,
        user: &UserRow,
        summary: serde_json::Value,
    ) -> Result<()> {
        tx.append_audit(&AuditEvent {
            id: AuditEventId::from_uuid(self.ids.next_id()),
            at: self.clock.now(),
            actor: actor.clone(),
            action,
            entity_kind: EntityKind::User,
            entity_id: *user.id.as_uuid(),
            reason: None,
            summary: summary.to_string(),
        })?;
        Ok(())
    }

    fn new_user(&self, name: UserName, roles: Vec<Role>, password_hash: String, by: &UserName) -> UserRow {
        let now = self.clock.now();
        UserRow {
            id: UserId::from_uuid(self.ids.next_id()),
            name,
            roles,
            password_hash,
            active: true,
            created_at: now,
            created_by: by.as_str().to_owned(),
            updated_at: now,
            updated_by: by.as_str().to_owned(),
        }
    }
}

/// After a change, at least one active admin must remain (else 409 `last_admin`).
fn keep_an_admin(tx: &Tx<'_>) -> Result<()> {
    if tx.active_users_with_role(Role::Admin)? == 0 {
        return Err(conflict("last_admin", "this would leave no active admin: make another user admin first"));
    }
    Ok(())
}

/// Checks a first admin's name and password before anything is set up, so `init` with bad
/// input writes nothing at all (not even the key).
pub fn check_new_admin(name: &str, password: &Password) -> Result<()> {
    account_name(name)?;
    check_password("password", password)
}

impl Dossier {
    /// Whether the data directory has users (else only `init` works).
    pub fn is_initialised(&self) -> Result<bool> {
        self.read(|_, tx| Ok(tx.has_users()?))
    }

    /// Creates the first admin of a data directory that has no user yet (else 409
    /// `already_initialised`). This is the whole of `dossier init`'s work in the app.
    pub fn init_admin(&mut self, name: &str, password: &Password) -> Result<UserView> {
        let name = account_name(name)?;
        check_password("password", password)?;
        if self.is_initialised()? {
            return Err(conflict(
                "already_initialised",
                "this data directory already has users: sign in as one of them",
            ));
        }
        let password_hash = hash(password)?;
        self.write(|env, tx| {
            if tx.has_users()? {
                return Err(conflict(
                    "already_initialised",
                    "this data directory already has users: sign in as one of them",
                ));
            }
            let user = env.new_user(name.clone(), vec![Role::Admin], password_hash, &name);
            tx.insert_user(&user)?;
            env.audit_user(tx, &name, "user.add", &user, json!({"roles": ["admin"], "first_admin": true}))?;
            Ok(view(&user))
        })
    }

    /// Signs a user in: their name (letter case aside) and password give the [`Actor`] every
    /// use case takes. A wrong name, a wrong password and a disabled user are all 401
    /// `sign_in_failed`; a data directory with no user is 409 `not_initialised`.
    pub fn sign_in(&self, name: &str, password: &Password) -> Result<Actor> {
        let user = self.read(|_, tx| {
            if !tx.has_users()? {
                return Err(not_initialised());
            }
            Ok(tx.user_by_name(name)?)
        })?;
        let right = match &user {
            Some(u) => matches(&u.password_hash, password),
            None => {
                // The same work as a wrong password: the time taken says nothing about the name.
                let _ = matches(DECOY, password);
                false
            }
        };
        match user {
            Some(u) if right && u.active => Ok(Actor::new(u.name, &u.roles)),
            _ => Err(sign_in_failed()),
        }
    }

    /// Adds a user with `roles` and a password (admins only).
    pub fn add_user(&mut self, actor: &Actor, name: &str, roles: &[String], password: &Password) -> Result<UserView> {
        actor.require(Permission::ManageUsers)?;
        let name = account_name(name)?;
        let roles = parse_roles(roles)?;
        check_password("new_password", password)?;
        let password_hash = hash(password)?;
        self.write(|env, tx| {
            if tx.user_by_name(name.as_str())?.is_some() {
                return Err(conflict(
                    "user_exists",
                    "a user with this name exists (letter case aside): choose another name",
                ));
            }
            let user = env.new_user(name.clone(), roles.clone(), password_hash, actor.name());
            tx.insert_user(&user)?;
            let summary = json!({"roles": roles.iter().map(|r| r.as_str()).collect::<Vec<_>>()});
            env.audit_user(tx, actor.name(), "user.add", &user, summary)?;
            Ok(view(&user))
        })
    }

    /// Every user, by name (admins only).
    pub fn users(&self, actor: &Actor) -> Result<Vec<UserView>> {
        actor.require(Permission::ManageUsers)?;
        self.read(|_, tx| Ok(tx.users()?.iter().map(view).collect()))
    }

    /// Replaces a user's roles (admins only); the last active admin keeps `admin`.
    pub fn set_user_roles(&mut self, actor: &Actor, name: &str, roles: &[String]) -> Result<UserView> {
        actor.require(Permission::ManageUsers)?;
        let roles = parse_roles(roles)?;
        self.write(|env, tx| {
            let user = load_user(tx, name)?;
            if user.roles == roles {
                return Err(conflict("user_unchanged", "the user already has exactly these roles"));
            }
            tx.set_user_roles(user.id, &roles, env.clock.now(), actor.name())?;
            keep_an_admin(tx)?;
            let summary = json!({"from": user.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
                "to": roles.iter().map(|r| r.as_str()).collect::<Vec<_>>()});
            env.audit_user(tx, actor.name(), "user.set_roles", &user, summary)?;
            Ok(view(&load_user(tx, name)?))
        })
    }

    /// Disables a user: they can no longer sign in (admins only; never oneself).
    pub fn disable_user(&mut self, actor: &Actor, name: &str) -> Result<UserView> {
        actor.require(Permission::ManageUsers)?;
        self.set_active(actor, name, false)
    }

    /// Lets a disabled user sign in again (admins only).
    pub fn enable_user(&mut self, actor: &Actor, name: &str) -> Result<UserView> {
        actor.require(Permission::ManageUsers)?;
        self.set_active(actor, name, true)
    }

    fn set_active(&mut self, actor: &Actor, name: &str, active: bool) -> Result<UserView> {
        self.write(|env, tx| {
            let user = load_user(tx, name)?;
            if !active && user.name.same_as(actor.name()) {
                let message = "an admin cannot disable their own account: ask another admin";
                return Err(Error::Rule(
                    Problem::new("cannot_disable_self", message)
                        .with_reasons(vec![Reason::new("cannot_disable_self", message)]),
                ));
            }
            if user.active == active {
                let message = if active { "the user is already enabled" } else { "the user is already disabled" };
                return Err(conflict("user_unchanged", message));
            }
            tx.set_user_active(user.id, active, env.clock.now(), actor.name())?;
            keep_an_admin(tx)?;
            let action = if active { "user.enable" } else { "user.disable" };
            env.audit_user(tx, actor.name(), action, &user, json!({"active": active}))?;
            Ok(view(&load_user(tx, name)?))
        })
    }

    /// Sets a password: one's own (`name` absent or one's own name, any signed-in user), or
    /// another user's (admins only).
    pub fn set_password(&mut self, actor: &Actor, name: Option<&str>, password: &Password) -> Result<UserView> {
        let own = name.is_none_or(|n| n.trim().eq_ignore_ascii_case(actor.as_str()));
        actor.require(if own { Permission::Account } else { Permission::ManageUsers })?;
        check_password("new_password", password)?;
        let password_hash = hash(password)?;
        let name = name.unwrap_or(actor.as_str()).to_owned();
        self.write(|env, tx| {
            let user = load_user(tx, &name)?;
            tx.set_user_password(user.id, &password_hash, env.clock.now(), actor.name())?;
            env.audit_user(tx, actor.name(), "user.set_password", &user, json!({"own": own}))?;
            Ok(view(&load_user(tx, &name)?))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_decoy_is_made_as_new_hashes_are() {
        let fresh = hash(&Password::new("any password at all")).unwrap();
        let params = |phc: &str| phc.split('$').take(4).collect::<Vec<_>>().join("$");
        assert_eq!(params(DECOY), params(&fresh), "same algorithm, version and cost");
        assert!(!matches(DECOY, &Password::new("")));
    }
}
