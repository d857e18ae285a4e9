//! A headless Bevy app in which a server and a netcode client (over UDP loopback) and a
//! local client (host-server mode, through memory) connect and exchange messages through
//! the plugin's messages, then the app exits with code 0 (non-zero on failure or after
//! 600 frames).
//!
//!     cargo run -p lightyear-conn-bevy --example headless
//!
//! The tests run the same `run()` (tests/headless.rs).

use bevy_app::{App, AppExit, Update};
use bevy_ecs::prelude::*;
use lightyear_conn::{Client, ClientConfig, Server, ServerConfig, TokenParams};
use lightyear_conn_bevy::*;

const PROTOCOL: u64 = 0x4C59_4245_5659_0001;
const CLIENT_ID: u64 = 7;
const PINGS: u32 = 5;
const MAX_FRAMES: u32 = 600;

/// What the demo has seen, for the summary and the tests.
#[derive(Resource, Debug, Default)]
pub struct Demo {
    pub frames: u32,
    pub server_saw: Vec<String>,
    pub client_got: Vec<String>,
    pub local_got: Vec<String>,
}

/// The host's own player: a local client the app keeps next to the server.
#[derive(Resource)]
struct HostPlayer(Client);

fn main() {
    let (exit, demo) = run();
    println!("{demo:#?}");
    std::process::exit(match exit {
        AppExit::Success => 0,
        AppExit::Error(code) => code.get() as i32,
    });
}

/// Builds and runs the app; returns how it exited and what it saw.
pub fn run() -> (AppExit, Demo) {
    let key = lightyear_conn::generate_key().expect("key");
    let mut server = Server::new(&ServerConfig::new(PROTOCOL, &key).bind("127.0.0.1:0")).expect("server");
    server.start().expect("start");
    let addr = server.address(0).expect("address");
    println!("server listening on {addr}");

    // What a token backend would do, handing the token to the client over TLS.
    let token = TokenParams::new(PROTOCOL, CLIENT_ID, &key)
        .public_address(&addr)
        .generate()
        .expect("token");
    let mut client = Client::new(&token, &ClientConfig::new().client_id(CLIENT_ID)).expect("client");
    client.connect().expect("connect");
    let host = server.connect_local(1).expect("local client");

    let mut app = App::new();
    app.add_plugins(LightyearConnPlugin)
        // A fixed step: deterministic, and no sleeping (loopback delivers at once).
        .insert_resource(NetTime::fixed(1.0 / 60.0))
        .insert_resource(NetServer::new(server))
        .insert_resource(NetClient::new(client))
        .insert_resource(HostPlayer(host))
        .init_resource::<Demo>()
        .add_systems(Update, (server_echo, client_pings, host_player, give_up).chain());
    // Run frame by frame until a system asks to exit (what a runner would do).
    app.finish();
    app.cleanup();
    loop {
        app.update();
        if let Some(exit) = app.should_exit() {
            let demo = app.world_mut().remove_resource::<Demo>().unwrap_or_default();
            return (exit, demo);
        }
    }
}

/// The server answers every payload with "pong: <payload>" and greets new clients.
fn server_echo(
    mut connected: MessageReader<ServerConnected>,
    mut payloads: MessageReader<ServerPayload>,
    mut left: MessageReader<ServerDisconnected>,
    mut send: MessageWriter<ServerSend>,
    mut demo: ResMut<Demo>,
) {
    for c in connected.read() {
        println!("server: {} connected", c.client);
        demo.server_saw.push(format!("connected {}", c.client));
        send.write(ServerSend::to(c.client, format!("welcome {}", c.client)));
    }
    for p in payloads.read() {
        let text = String::from_utf8_lossy(&p.data).into_owned();
        println!("server: {} says {text:?}", p.client);
        demo.server_saw.push(format!("{}: {text}", p.client));
        send.write(ServerSend::to(p.client, format!("pong: {text}")));
    }
    for d in left.read() {
        println!("server: {} left ({})", d.client, d.reason);
    }
}

/// The netcode client sends a ping when connected and after each pong, PINGS times, then
/// ends the app.
fn client_pings(
    mut connected: MessageReader<ClientConnected>,
    mut disconnected: MessageReader<ClientDisconnected>,
    mut payloads: MessageReader<ClientPayload>,
    mut send: MessageWriter<ClientSend>,
    mut exit: MessageWriter<AppExit>,
    mut demo: ResMut<Demo>,
) {
    for c in connected.read() {
        println!("client: connected as {}", c.id);
        send.write(ClientSend::new("ping 1"));
    }
    for d in disconnected.read() {
        eprintln!("client: connection ended: {} ({})", d.state, d.reason);
        exit.write(AppExit::error());
    }
    for p in payloads.read() {
        let text = String::from_utf8_lossy(&p.data).into_owned();
        println!("client: got {text:?}");
        demo.client_got.push(text.clone());
        if let Some(n) = text.strip_prefix("pong: ping ").and_then(|n| n.parse::<u32>().ok()) {
            if n < PINGS {
                send.write(ClientSend::new(format!("ping {}", n + 1)));
            } else if demo.local_got.iter().any(|t| t.starts_with("pong")) {
                println!("done after {} frames", demo.frames);
                exit.write(AppExit::Success);
            }
        }
    }
}

/// The host's local client talks to the server directly (no socket), outside the plugin's
/// NetClient: any number of clients can be driven like this.
fn host_player(mut host: ResMut<HostPlayer>, time: Res<NetTime>, mut demo: ResMut<Demo>) {
    let HostPlayer(client) = &mut *host;
    client.update(time.delta_seconds()).expect("local update");
    while let Some(p) = client.receive().expect("local receive") {
        let text = String::from_utf8_lossy(p).into_owned();
        if text.starts_with("welcome") {
            client.send(b"host says hi").expect("local send");
        }
        demo.local_got.push(text);
    }
}

fn give_up(mut demo: ResMut<Demo>, mut errors: MessageReader<NetError>, mut exit: MessageWriter<AppExit>) {
    demo.frames += 1;
    for e in errors.read() {
        eprintln!("{:?} error: {}", e.side, e.error);
        exit.write(AppExit::error());
    }
    if demo.frames >= MAX_FRAMES {
        eprintln!("no exchange after {MAX_FRAMES} frames: {demo:?}");
        exit.write(AppExit::from_code(2));
    }
}
