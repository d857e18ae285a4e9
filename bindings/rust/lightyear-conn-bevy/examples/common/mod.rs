//! What the server and client examples share.
// Each example uses part of this module.
#![allow(dead_code)]

use std::time::Duration;

use bevy_app::{ScheduleRunnerPlugin, TaskPoolPlugin};
use bevy_diagnostic::FrameCountPlugin;
use bevy_time::TimePlugin;
use lightyear_conn::{KEY_SIZE, Key};

pub const PROTOCOL: u64 = 0x6c79_636f_6e6e_0001;

/// Bevy 0.20's `MinimalPlugins`, plugin for plugin, from the sub-crates (the umbrella
/// `bevy` crate, which has the group, needs a newer Rust): a frame every `wait`.
pub fn minimal_plugins(wait: Duration) -> (TaskPoolPlugin, FrameCountPlugin, TimePlugin, ScheduleRunnerPlugin) {
    (
        TaskPoolPlugin::default(),
        FrameCountPlugin,
        TimePlugin,
        ScheduleRunnerPlugin::run_loop(wait),
    )
}

/// `--name value` from the command line.
pub fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

pub fn key_to_hex(key: &Key) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn key_from_hex(hex: &str) -> Option<Key> {
    if hex.len() != 2 * KEY_SIZE {
        return None;
    }
    let mut key = [0u8; KEY_SIZE];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(key)
}
