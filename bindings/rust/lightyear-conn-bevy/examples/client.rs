//! The client half of the two-process example (see `server.rs`): one app, several
//! clients. Each client entity connects, sends `ping 1 from <id>` .. `ping N from <id>`,
//! one after each echo, then disconnects; the app exits 0 when all have, 1 on an error, a
//! lost connection or after `--timeout` seconds (default 30).
//!
//! ```sh
//! cargo run -p lightyear-conn-bevy --example client -- --server ADDR --key HEX [--clients 3] [--pings 3]
//! ```

mod common;

use std::time::Duration;

use bevy_app::{App, AppExit, Startup, Update};
use bevy_ecs::prelude::*;
use bevy_time::Time;
use lightyear_conn::{ClientConfig, TokenParams};
use lightyear_conn_bevy::*;

#[derive(Resource)]
struct Settings {
    server: String,
    key: lightyear_conn::Key,
    clients: u64,
    pings: u32,
    timeout: f64,
    done: u64,
}

/// One player of this app.
#[derive(Component)]
struct Player {
    id: u64,
}

fn main() -> AppExit {
    let server = common::arg("--server").expect("--server ADDR");
    let key = common::key_from_hex(&common::arg("--key").expect("--key HEX")).expect("a 64-digit hex key");
    App::new()
        .add_plugins(common::minimal_plugins(Duration::from_secs_f64(1.0 / 120.0)))
        .add_plugins(ClientPlugin::new())
        .insert_resource(Settings {
            server,
            key,
            clients: common::arg("--clients").map_or(3, |n| n.parse().expect("--clients N")),
            pings: common::arg("--pings").map_or(3, |n| n.parse().expect("--pings N")),
            timeout: common::arg("--timeout").map_or(30.0, |s| s.parse().expect("--timeout seconds")),
            done: 0,
        })
        .add_systems(Startup, spawn_players)
        .add_systems(Update, (play, give_up))
        .run()
}

fn spawn_players(mut commands: Commands, settings: Res<Settings>) {
    for id in 1..=settings.clients {
        let (server, key) = (settings.server.clone(), settings.key);
        // What your backend does over TLS: a fresh token for each connect.
        let token = TokenSource::fetch(move || {
            TokenParams::new(common::PROTOCOL, id, &key)
                .public_address(&server)
                .generate()
        });
        commands.spawn((
            Player { id },
            NetClient::netcode(token, ClientConfig::new().client_id(id)),
        ));
    }
}

// Bevy systems take their resources and messages as arguments.
#[allow(clippy::too_many_arguments)]
fn play(
    mut connected: MessageReader<ClientConnected>,
    mut payloads: MessageReader<ClientPayload>,
    mut disconnected: MessageReader<ClientDisconnected>,
    mut send: MessageWriter<ClientSend>,
    mut leave: MessageWriter<DisconnectClient>,
    mut exit: MessageWriter<AppExit>,
    mut settings: ResMut<Settings>,
    players: Query<&Player>,
) {
    for c in connected.read() {
        let id = players.get(c.entity).map_or(0, |p| p.id);
        println!("client {id} connected as {}", c.id);
        send.write(ClientSend::new(c.entity, format!("ping 1 from {id}")));
    }
    for p in payloads.read() {
        let id = players.get(p.entity).map_or(0, |p| p.id);
        let text = String::from_utf8_lossy(&p.data).into_owned();
        println!("client {id} got {text:?}");
        let echoed = text
            .strip_prefix("ping ")
            .and_then(|rest| rest.split_once(" from "))
            .and_then(|(n, from)| Some((n.parse::<u32>().ok()?, from.parse::<u64>().ok()?)));
        match echoed {
            Some((n, from)) if from == id && n < settings.pings => {
                send.write(ClientSend::new(p.entity, format!("ping {} from {id}", n + 1)));
            }
            Some((n, from)) if from == id && n == settings.pings => {
                leave.write(DisconnectClient { entity: p.entity });
            }
            Some(_) => {
                eprintln!("client {id}: an echo that is not ours: {text:?}");
                exit.write(AppExit::error());
            }
            None => {}
        }
    }
    for d in disconnected.read() {
        let id = players.get(d.entity).map_or(0, |p| p.id);
        if d.state != lightyear_conn::ClientState::Disconnected {
            eprintln!("client {id}: connection ended: {} ({})", d.state, d.reason);
            exit.write(AppExit::error());
            continue;
        }
        println!("client {id} disconnected");
        settings.done += 1;
        if settings.done == settings.clients {
            println!("all {} clients done", settings.clients);
            exit.write(AppExit::Success);
        }
    }
}

fn give_up(
    settings: Res<Settings>,
    time: Res<Time>,
    mut errors: MessageReader<NetError>,
    mut exit: MessageWriter<AppExit>,
) {
    for e in errors.read() {
        eprintln!("error ({:?}): {}", e.side, e.error);
        exit.write(AppExit::error());
    }
    if time.elapsed_secs_f64() > settings.timeout {
        eprintln!("timed out after {} s", settings.timeout);
        exit.write(AppExit::error());
    }
}
