//! The simulator's integration tests: one binary, one module per capability, every test
//! against its own simulator on `127.0.0.1:0` over real HTTP.

mod auth;
mod cybrid;
mod faults;
mod mbanq;
mod paxos;
mod persist;
mod qolo;
mod seeded;
mod server;
mod support;
