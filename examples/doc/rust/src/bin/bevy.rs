//! The code of bindings/rust/README.md, "The Bevy plugins" (scripts/check-doc-snippets.sh checks that the two agree and
//! type-checks this file).
#![allow(unused_variables, unused_mut, unreachable_code, clippy::all)]
use std::time::Duration;

use bevy_app::{App, ScheduleRunnerPlugin, Startup, TaskPoolPlugin, Update};
use bevy_diagnostic::FrameCountPlugin;
use bevy_ecs::prelude::*;
use bevy_time::TimePlugin;
use lightyear_conn::ServerConfig;
use lightyear_conn_bevy::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let key = lightyear_conn::generate_key()?;
    // doc-snippet: begin
    App::new()
        // Bevy 0.20's MinimalPlugins, from the sub-crates (the `bevy` crate needs Rust 1.97.1)
        .add_plugins((TaskPoolPlugin::default(), FrameCountPlugin, TimePlugin,
                      ScheduleRunnerPlugin::run_loop(Duration::from_secs_f64(1.0 / 60.0))))
        .add_plugins(ServerPlugin::new(ServerConfig::new(0x1234, &key).bind("0.0.0.0:40000")))
        .add_plugins(ClientPlugin::new())                    // clients: entities you spawn
        .add_systems(Startup, |mut commands: Commands| {
            commands.spawn(NetClient::local(1));             // the host's own player
        })
        .add_systems(Update, echo)
        .run();

    // doc-snippet: end
    Ok(())
}

// doc-snippet: begin
fn echo(mut payloads: MessageReader<ServerPayload>, mut send: MessageWriter<ServerSend>) {
    for p in payloads.read() {                               // p.entity has RemoteClient { id }
        send.write(ServerSend::to(p.client, p.data.clone())); // Bytes: sent on without a copy
    }
}
// doc-snippet: end
