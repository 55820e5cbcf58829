//! Test-only package: the integration tests live in tests/it.
