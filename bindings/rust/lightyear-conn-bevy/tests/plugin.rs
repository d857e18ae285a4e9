//! The plugin's systems with a local client: messages in PreUpdate, sends in PostUpdate,
//! disconnects, errors, a missing resource, and the time modes.

use bevy_app::App;
use bevy_ecs::prelude::*;
use lightyear_conn::{ClientId, ClientState, DisconnectReason, ErrorCode, Server, ServerConfig};
use lightyear_conn_bevy::*;

#[derive(Resource, Default)]
struct Seen {
    server: Vec<String>,
    client: Vec<String>,
    errors: Vec<(NetSide, ErrorCode)>,
}

#[allow(clippy::too_many_arguments)]
fn record(
    mut seen: ResMut<Seen>,
    mut sc: MessageReader<ServerConnected>,
    mut sd: MessageReader<ServerDisconnected>,
    mut sp: MessageReader<ServerPayload>,
    mut cc: MessageReader<ClientConnected>,
    mut cd: MessageReader<ClientDisconnected>,
    mut cp: MessageReader<ClientPayload>,
    mut errors: MessageReader<NetError>,
) {
    for m in sc.read() {
        seen.server.push(format!("connected {}", m.client));
    }
    for m in sd.read() {
        seen.server.push(format!("disconnected {} {:?}", m.client, m.reason));
    }
    for m in sp.read() {
        seen.server
            .push(format!("payload {} {}", m.client, String::from_utf8_lossy(&m.data)));
    }
    for m in cc.read() {
        seen.client.push(format!("connected {}", m.id));
    }
    for m in cd.read() {
        seen.client.push(format!("disconnected {:?} {:?}", m.state, m.reason));
    }
    for m in cp.read() {
        seen.client
            .push(format!("payload {}", String::from_utf8_lossy(&m.data)));
    }
    for e in errors.read() {
        seen.errors.push((e.side, e.error.code));
    }
}

fn app_with_local_client() -> App {
    let key = lightyear_conn::generate_key().unwrap();
    let mut server = Server::new(&ServerConfig::new(9, &key)).unwrap();
    server.start().unwrap();
    let client = server.connect_local(4).unwrap();
    let mut app = App::new();
    app.add_plugins(LightyearConnPlugin)
        .insert_resource(NetTime::fixed(0.01))
        .insert_resource(NetServer::new(server))
        .insert_resource(NetClient::new(client))
        .init_resource::<Seen>()
        .add_systems(bevy_app::Update, record);
    app
}

#[test]
fn messages_flow_both_ways_through_the_plugin() {
    let mut app = app_with_local_client();
    app.update();
    {
        let seen = app.world().resource::<Seen>();
        assert_eq!(seen.server, vec!["connected local:4"]);
        assert_eq!(seen.client, vec!["connected local:4"]);
    }
    app.world_mut().write_message(ClientSend::new("up"));
    app.world_mut()
        .write_message(ServerSend::to(ClientId::Local(4), "down"));
    app.world_mut().write_message(ServerSend::broadcast("all"));
    app.update(); // PostUpdate of this frame sends; PreUpdate of the next receives
    app.update();
    let seen = app.world().resource::<Seen>();
    assert_eq!(seen.server, vec!["connected local:4", "payload local:4 up"]);
    assert_eq!(seen.client, vec!["connected local:4", "payload down", "payload all"]);
    assert!(seen.errors.is_empty());
}

#[test]
fn disconnects_and_errors_become_messages() {
    let mut app = app_with_local_client();
    app.update();
    // Sending to nobody: an error message, not a panic.
    app.world_mut()
        .write_message(ServerSend::to(ClientId::Netcode(12345), "x"));
    app.world_mut().write_message(ClientSend::new(""));
    app.update();
    app.update();
    assert_eq!(
        app.world().resource::<Seen>().errors,
        vec![
            (NetSide::Server, ErrorCode::UnknownClient),
            (NetSide::Client, ErrorCode::PayloadSize)
        ]
    );
    // The server stops: both sides hear of it.
    app.world_mut().resource_mut::<NetServer>().stop().unwrap();
    app.update();
    let seen = app.world().resource::<Seen>();
    assert_eq!(
        seen.server.last().unwrap(),
        &format!("disconnected local:4 {:?}", DisconnectReason::ServerStopped)
    );
    // The client side only hears that the server ended the connection.
    assert_eq!(
        seen.client.last().unwrap(),
        &format!(
            "disconnected {:?} {:?}",
            ClientState::Disconnected,
            DisconnectReason::Remote
        )
    );
}

#[test]
fn no_resources_no_work() {
    let mut app = App::new();
    app.add_plugins(LightyearConnPlugin)
        .init_resource::<Seen>()
        .add_systems(bevy_app::Update, record);
    app.world_mut().write_message(ClientSend::new("nobody"));
    app.update();
    app.update();
    assert!(app.world().resource::<Seen>().errors.is_empty());
    // Real time by default.
    let t = app.world().resource::<NetTime>();
    assert_eq!(t.mode(), NetTimeMode::Real);
    assert!(t.elapsed_seconds() >= 0.0);
}

#[test]
fn time_modes() {
    let mut app = App::new();
    app.add_plugins(LightyearConnPlugin)
        .insert_resource(NetTime::fixed(0.25));
    for _ in 0..4 {
        app.update();
    }
    assert_eq!(app.world().resource::<NetTime>().elapsed_seconds(), 1.0);

    let mut app = App::new();
    app.add_plugins(LightyearConnPlugin).insert_resource(NetTime::manual());
    app.world_mut().resource_mut::<NetTime>().set_delta(0.5);
    app.update();
    app.update();
    assert_eq!(app.world().resource::<NetTime>().delta_seconds(), 0.5);
    assert_eq!(app.world().resource::<NetTime>().elapsed_seconds(), 1.0);
}

#[test]
fn a_batching_server_flushes_in_post_update() {
    use lightyear_conn::{Client, ClientConfig, TokenParams};
    let key = lightyear_conn::generate_key().unwrap();
    let config = ServerConfig::new(9, &key).bind("127.0.0.1:0").batch_sends(true);
    let mut server = Server::new(&config).unwrap();
    server.start().unwrap();
    let addr = server.address(0).unwrap();
    let token = TokenParams::new(9, 21, &key).public_address(&addr).generate().unwrap();
    let mut client = Client::new(&token, &ClientConfig::new().client_id(21)).unwrap();
    client.connect().unwrap();
    let mut app = App::new();
    app.add_plugins(LightyearConnPlugin)
        .insert_resource(NetTime::fixed(0.01))
        .insert_resource(NetServer::new(server))
        .init_resource::<Seen>()
        .add_systems(bevy_app::Update, record);
    for _ in 0..200 {
        client.update(0.01).unwrap();
        app.update();
        if client.is_connected() {
            break;
        }
    }
    assert!(client.is_connected());

    // The client is outside the app: what it reads was written by this frame's flush,
    // not by a later update of the server.
    app.world_mut()
        .write_message(ServerSend::to(ClientId::Netcode(21), "flushed"));
    app.update();
    let mut got = None;
    for _ in 0..100 {
        client.update(0.0).unwrap();
        if let Some(p) = client.receive().unwrap() {
            got = Some(p.to_vec());
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    assert_eq!(got.as_deref(), Some(&b"flushed"[..]));
    assert!(app.world().resource::<Seen>().errors.is_empty());
}

#[derive(Resource, Default)]
struct Warnings(Vec<ServerWarning>);

fn record_warnings(mut seen: ResMut<Warnings>, mut w: MessageReader<ServerWarning>) {
    seen.0.extend(w.read().copied());
}

#[test]
fn a_refused_join_becomes_a_server_warning() {
    use lightyear_conn::{Client, ClientConfig, Warning};
    let key = lightyear_conn::generate_key().unwrap();
    let config = ServerConfig::new(9, &key).bind("127.0.0.1:0").token_history_size(1);
    let mut server = Server::new(&config).unwrap();
    server.start().unwrap();
    let addr = server.address(0).unwrap();
    // The first client takes the history's one entry.
    let mut first = Client::manual(&addr, 1, 9, &key, &ClientConfig::new()).unwrap();
    first.connect().unwrap();
    for _ in 0..300 {
        first.update(0.01).unwrap();
        server.update(0.01).unwrap();
        if first.is_connected() {
            break;
        }
    }
    assert!(first.is_connected());
    let mut late = Client::manual(&addr, 2, 9, &key, &ClientConfig::new()).unwrap();
    late.connect().unwrap();
    let mut app = App::new();
    app.add_plugins(LightyearConnPlugin)
        .insert_resource(NetTime::fixed(0.01))
        .insert_resource(NetServer::new(server))
        .insert_resource(NetClient::new(late))
        .init_resource::<Warnings>()
        .add_systems(bevy_app::Update, record_warnings);
    for _ in 0..30 {
        app.update();
    }
    assert_eq!(
        app.world().resource::<Warnings>().0,
        vec![ServerWarning {
            client: ClientId::Netcode(2),
            warning: Warning::TokenHistoryFull
        }]
    );
}
