//! Fixtures shared by the desktop integration tests.

pub mod update_server;
