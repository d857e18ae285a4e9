//! The server half of the two-process example: a headless Bevy app (MinimalPlugins'
//! plugins + the ServerPlugin) that greets each client and echoes its payloads.
//!
//! ```sh
//! cargo run -p lightyear-conn-bevy --example server -- --bind 127.0.0.1:40000
//! cargo run -p lightyear-conn-bevy --example client -- --server 127.0.0.1:40000 --key <hex>
//! ```
//!
//! Prints `listening <address> key <hex>` once started. The key is printed so that the
//! client example can make tokens (standing in for your token backend, which would keep
//! it secret). `--exit-after N`: exit 0 once N clients have come and gone; exits 1 after
//! `--timeout` seconds (default 30) or on an error.

mod common;

use std::time::Duration;

use bevy_app::{App, AppExit, Update};
use bevy_ecs::prelude::*;
use bevy_time::Time;
use lightyear_conn::ServerConfig;
use lightyear_conn_bevy::*;

#[derive(Resource)]
struct Settings {
    key_hex: String,
    exit_after: Option<usize>,
    timeout: f64,
    left: usize,
}

fn main() -> AppExit {
    let bind = common::arg("--bind").unwrap_or_else(|| "127.0.0.1:0".into());
    let key = lightyear_conn::generate_key().expect("key");
    let config = ServerConfig::new(common::PROTOCOL, &key).bind(bind);
    App::new()
        .add_plugins(common::minimal_plugins(Duration::from_secs_f64(1.0 / 120.0)))
        .add_plugins(ServerPlugin::new(config))
        .insert_resource(Settings {
            key_hex: common::key_to_hex(&key),
            exit_after: common::arg("--exit-after").map(|n| n.parse().expect("--exit-after N")),
            timeout: common::arg("--timeout").map_or(30.0, |s| s.parse().expect("--timeout seconds")),
            left: 0,
        })
        .add_systems(Update, (announce, greet_and_echo, stop_when_done))
        .run()
}

fn announce(mut started: MessageReader<ServerStarted>, settings: Res<Settings>) {
    for s in started.read() {
        println!("listening {} key {}", s.addresses[0], settings.key_hex);
    }
}

fn greet_and_echo(
    mut connected: MessageReader<ServerConnected>,
    mut payloads: MessageReader<ServerPayload>,
    mut left: MessageReader<ServerDisconnected>,
    mut send: MessageWriter<ServerSend>,
    mut settings: ResMut<Settings>,
    clients: Query<&RemoteClient>,
) {
    for c in connected.read() {
        println!("{} connected", c.client);
        send.write(ServerSend::to(c.client, format!("welcome {}", c.client)));
    }
    for p in payloads.read() {
        println!("{} says {:?}", p.client, String::from_utf8_lossy(&p.data));
        // The received Bytes goes back out as it is: no copy.
        send.write(ServerSend::to(p.client, p.data.clone()));
    }
    for d in left.read() {
        settings.left += 1;
        // The entity is gone already: PreUpdate's commands were applied.
        println!(
            "{} left ({}); {} still connected",
            d.client,
            d.reason,
            clients.iter().count()
        );
    }
}

fn stop_when_done(
    settings: Res<Settings>,
    time: Res<Time>,
    mut errors: MessageReader<NetError>,
    mut exit: MessageWriter<AppExit>,
) {
    for e in errors.read() {
        eprintln!("error: {}", e.error);
        exit.write(AppExit::error());
    }
    if settings.exit_after.is_some_and(|n| settings.left >= n) {
        println!("served {} clients", settings.left);
        exit.write(AppExit::Success);
    } else if time.elapsed_secs_f64() > settings.timeout {
        eprintln!("timed out after {} s", settings.timeout);
        exit.write(AppExit::error());
    }
}
