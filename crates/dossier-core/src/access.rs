//! Who may do what. Users hold roles; every use case needs one permission; the matrix between
//! the two is plain data ([`Permission::roles`]), mirrored by `fixtures/roles.json` and
//! documented in `docs/roles.md`.
//!
//! Roles are cumulative for compliance work: an officer may do everything branch staff may, and
//! a supervisor everything an officer may. `admin` is apart: users, settings, providers and
//! reads, no compliance work. A user may hold several roles (a small firm's one person wearing
//! two hats). Every signed-in user may read.

use crate::values::{Text, ValueError};
use crate::word_enum;

word_enum!(
    /// A role a user holds.
    Role {
        BranchStaff = "branch_staff",
        Officer = "officer",
        Supervisor = "supervisor",
        Admin = "admin",
    }
);

word_enum!(
    /// What a use case needs. One per kind of use case.
    Permission {
        /// Read anything: customers, cases, queues, the audit trail, settings, approvals.
        Read = "read",
        /// Change one's own password, withdraw one's own approval requests.
        Account = "account",
        /// Capture customers and their data, verify contacts, attach scans, import, withdraw.
        Onboard = "onboard",
        /// Verify customers, create identity verifications, perform KYC, record provider results.
        Verify = "verify",
        /// Activate verified customers.
        Activate = "activate",
        /// Case work: open EDD, advance verifications, evidence, notes, assignment, snoozing,
        /// controls, closing and reactivating customers, retrying and discarding sync items,
        /// time-driven maintenance.
        Review = "review",
        /// Decisions: decide verifications and EDD cases, reject customers, undo rejections.
        Decide = "decide",
        /// Client verification overrides.
        Override = "override",
        /// Approve or reject another user's four-eyes request.
        Approve = "approve",
        /// See a masked tax id or document number in clear (audited).
        Reveal = "reveal",
        /// Deliver the outbox to the providers.
        Sync = "sync",
        /// Add users, change their roles, disable them, reset their passwords.
        ManageUsers = "manage_users",
        /// Change the firm's policy.
        Settings = "settings",
        /// Configure and disable providers.
        Providers = "providers",
        /// Developer tools: synthetic data, consistency checks.
        DevTools = "dev_tools",
        /// Write a backup of the whole data directory.
        Backup = "backup",
    }
);

use Permission as P;
use Role::{Admin, BranchStaff, Officer, Supervisor};

/// The matrix, as data: each permission and the roles that hold it.
pub const MATRIX: &[(Permission, &[Role])] = &[
    (P::Read, &[BranchStaff, Officer, Supervisor, Admin]),
    (P::Account, &[BranchStaff, Officer, Supervisor, Admin]),
    (P::Onboard, &[BranchStaff, Officer, Supervisor]),
    (P::Verify, &[BranchStaff, Officer, Supervisor]),
    (P::Activate, &[BranchStaff, Officer, Supervisor]),
    (P::Review, &[Officer, Supervisor]),
    (P::Decide, &[Officer, Supervisor]),
    (P::Override, &[Supervisor]),
    (P::Approve, &[Supervisor]),
    (P::Reveal, &[Officer, Supervisor]),
    (P::Sync, &[BranchStaff, Officer, Supervisor, Admin]),
    (P::ManageUsers, &[Admin]),
    (P::Settings, &[Admin]),
    (P::Providers, &[Admin]),
    (P::DevTools, &[Admin]),
    (P::Backup, &[Admin]),
];

impl Permission {
    /// The roles that hold this permission.
    pub fn roles(self) -> &'static [Role] {
        MATRIX.iter().find(|(p, _)| *p == self).map_or(&[], |(_, roles)| roles)
    }
}

impl Role {
    /// Whether this role holds `permission`.
    pub fn may(self, permission: Permission) -> bool {
        permission.roles().contains(&self)
    }
}

/// The name a person acts under, as recorded in the audit trail, on decisions, evidence and
/// notes: 1 to 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserName(Text);

impl UserName {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        Text::parse(raw, 64).map(Self)
    }
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
    /// The same person: names are compared without regard to ASCII letter case.
    pub fn same_as(&self, other: &UserName) -> bool {
        self.as_str().eq_ignore_ascii_case(other.as_str())
    }
}

impl std::fmt::Display for UserName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The person (or process) acting: a signed-in user's name and roles. dossier-app makes one
/// only by signing a user in (or for its own processes, with no roles).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    name: UserName,
    roles: Vec<Role>,
}

/// A refused permission: which one, and the roles that would allow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{} needs the role {}: ask an admin to grant it", .permission, join(.permission.roles()))]
pub struct RoleRequired {
    pub permission: Permission,
}

fn join(roles: &[Role]) -> String {
    match roles {
        [] => "no one holds".to_owned(),
        [one] => one.as_str().to_owned(),
        many => {
            let names: Vec<&str> = many.iter().map(|r| r.as_str()).collect();
            format!("{} or {}", names[..names.len() - 1].join(", "), names[names.len() - 1])
        }
    }
}

impl Actor {
    /// A user with `roles` (sorted, without repeats).
    pub fn new(name: UserName, roles: &[Role]) -> Self {
        let mut roles = roles.to_vec();
        roles.sort();
        roles.dedup();
        Self { name, roles }
    }
    /// One of Dossier's own processes (the sync worker): a name for the trail and no roles, so
    /// it can never pass a permission check.
    pub fn process(name: UserName) -> Self {
        Self { name, roles: Vec::new() }
    }
    pub fn name(&self) -> &UserName {
        &self.name
    }
    pub fn as_str(&self) -> &str {
        self.name.as_str()
    }
    pub fn roles(&self) -> &[Role] {
        &self.roles
    }
    pub fn may(&self, permission: Permission) -> bool {
        self.roles.iter().any(|r| r.may(permission))
    }
    /// `Ok` when one of the actor's roles holds `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), RoleRequired> {
        if self.may(permission) { Ok(()) } else { Err(RoleRequired { permission }) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_permission_is_in_the_matrix_once() {
        for p in Permission::ALL {
            assert_eq!(MATRIX.iter().filter(|(q, _)| q == p).count(), 1, "{p}");
        }
    }

    #[test]
    fn compliance_roles_are_cumulative_and_admin_is_apart() {
        for p in Permission::ALL.iter().copied() {
            if BranchStaff.may(p) {
                assert!(Officer.may(p), "officer ⊇ branch_staff: {p}");
            }
            if Officer.may(p) {
                assert!(Supervisor.may(p), "supervisor ⊇ officer: {p}");
            }
        }
        assert!(Role::ALL.iter().all(|r| r.may(P::Read)), "every role reads");
        for p in [P::Onboard, P::Verify, P::Activate, P::Review, P::Decide, P::Override, P::Approve] {
            assert!(!Admin.may(p), "admin does no compliance work: {p}");
        }
    }

    #[test]
    fn an_actor_may_what_one_of_its_roles_may() {
        let name = UserName::parse("ana").unwrap();
        let two_hats = Actor::new(name.clone(), &[Admin, BranchStaff, Admin]);
        assert_eq!(two_hats.roles(), &[BranchStaff, Admin]);
        assert!(two_hats.may(P::Onboard) && two_hats.may(P::ManageUsers));
        assert!(!two_hats.may(P::Decide));
        let e = two_hats.require(P::Approve).unwrap_err();
        assert_eq!(e.to_string(), "approve needs the role supervisor: ask an admin to grant it");
        assert_eq!(
            RoleRequired { permission: P::Review }.to_string(),
            "review needs the role officer or supervisor: ask an admin to grant it"
        );
        assert!(!Actor::process(name).may(P::Read), "a process holds no role");
    }
}
