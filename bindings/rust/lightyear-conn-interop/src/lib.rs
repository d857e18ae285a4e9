//! Tests only (see `tests/`): lightyear-conn against netcode-official 1.0, the upstream Rust
//! port of netcode.io by its author, over IPv4 loopback.
//!
//! `src/bin/netcode-peer-server.rs` is their server as the "peer" of cmd/lyload, the load tool.
