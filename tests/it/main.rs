//! Dossier's integration tests: one binary, one module per capability, a fresh SQLite file per
//! test, a fixed clock, and tables of cases in `fixtures/`.

mod approvals;
mod audit;
mod audit_export;
mod backup;
mod bad_input;
mod bench;
mod cli;
mod codes;
mod customers;
mod edd;
mod encryption;
mod export;
mod files;
mod gate;
mod generate;
mod identity;
mod import;
mod lifecycle;
mod outbox;
mod perform_kyc;
mod pii;
mod queue;
mod reveal;
mod roles;
mod settings;
mod store;
mod support;
mod sync;
mod users;
mod verifications;
