//! The plugins inside one app: local and netcode clients as entities, remote-client
//! entities on the server, messages both ways, start/stop/connect/disconnect through
//! messages, errors as messages, Bevy's Time (virtual and fixed) as the clock, and
//! payloads cut from one shared buffer.

use std::net::UdpSocket;
use std::time::Duration;

use bevy_app::{App, FixedUpdate, Update};
use bevy_ecs::prelude::*;
use bevy_time::{Fixed, Time, TimePlugin, TimeUpdateStrategy};
use lightyear_conn::{
    ClientConfig, ClientId, ClientState, DisconnectReason, ErrorCode, ServerConfig, TokenParams, Warning,
};
use lightyear_conn_bevy::*;

#[derive(Resource, Default, Debug)]
struct Seen {
    server: Vec<String>,
    client: Vec<String>,
    errors: Vec<(NetSide, ErrorCode)>,
    payloads: Vec<Bytes>,
}

#[derive(bevy_ecs::system::SystemParam)]
struct Readers<'w, 's> {
    started: MessageReader<'w, 's, ServerStarted>,
    stopped: MessageReader<'w, 's, ServerStopped>,
    sc: MessageReader<'w, 's, ServerConnected>,
    sd: MessageReader<'w, 's, ServerDisconnected>,
    sp: MessageReader<'w, 's, ServerPayload>,
    cc: MessageReader<'w, 's, ClientConnected>,
    cd: MessageReader<'w, 's, ClientDisconnected>,
    cp: MessageReader<'w, 's, ClientPayload>,
    errors: MessageReader<'w, 's, NetError>,
}

fn record(mut seen: ResMut<Seen>, mut r: Readers, remotes: Query<&RemoteClient>) {
    for _ in r.started.read() {
        seen.server.push("started".into());
    }
    for m in r.sc.read() {
        // The entity exists by Update and carries the id.
        assert_eq!(remotes.get(m.entity).map(|r| r.id), Ok(m.client));
        seen.server.push(format!("connected {}", m.client));
    }
    for m in r.sd.read() {
        assert!(remotes.get(m.entity).is_err(), "the entity is despawned");
        seen.server.push(format!("disconnected {} {:?}", m.client, m.reason));
    }
    for m in r.sp.read() {
        assert_eq!(remotes.get(m.entity).map(|r| r.id), Ok(m.client));
        seen.server
            .push(format!("payload {} {}", m.client, String::from_utf8_lossy(&m.data)));
        seen.payloads.push(m.data.clone());
    }
    // Last: a stop's disconnects come in the same frame, before this.
    for _ in r.stopped.read() {
        seen.server.push("stopped".into());
    }
    for m in r.cc.read() {
        seen.client.push(format!("connected {}", m.id));
    }
    for m in r.cd.read() {
        seen.client.push(format!("disconnected {:?} {:?}", m.state, m.reason));
    }
    for m in r.cp.read() {
        seen.client
            .push(format!("payload {}", String::from_utf8_lossy(&m.data)));
    }
    for e in r.errors.read() {
        seen.errors.push((e.side, e.error.code));
    }
}

/// An app with Bevy's clock stepping 10 ms per update, recording every message (all
/// registered here, so that `record` runs whichever plugins a test adds).
fn app() -> App {
    let mut app = App::new();
    app.add_message::<ServerStarted>()
        .add_message::<ServerStopped>()
        .add_message::<ServerConnected>()
        .add_message::<ServerDisconnected>()
        .add_message::<ServerPayload>()
        .add_message::<ClientConnected>()
        .add_message::<ClientDisconnected>()
        .add_message::<ClientPayload>()
        .add_message::<NetError>();
    app.add_plugins(TimePlugin)
        .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_millis(10)))
        .init_resource::<Seen>()
        .add_systems(Update, record);
    app
}

/// A server for local clients only (no bind) and two local client entities.
fn host_app() -> (App, Entity, Entity) {
    let key = lightyear_conn::generate_key().unwrap();
    let mut app = app();
    app.add_plugins((ServerPlugin::new(ServerConfig::new(9, &key)), ClientPlugin::new()));
    let a = app.world_mut().spawn(NetClient::local(4)).id();
    let b = app.world_mut().spawn(NetClient::local(5)).id();
    (app, a, b)
}

#[test]
fn local_clients_are_entities_and_messages_flow_both_ways() {
    let (mut app, a, b) = host_app();
    app.update();
    {
        // The server starts, then the local clients connect (at once on their side); the
        // server polls their connections in the next frame.
        let seen = app.world().resource::<Seen>();
        assert_eq!(seen.server, ["started"]);
        let mut client = seen.client.clone();
        client.sort(); // query order
        assert_eq!(client, ["connected local:4", "connected local:5"]);
    }
    app.update();
    assert_eq!(
        app.world().resource::<Seen>().server,
        ["started", "connected local:4", "connected local:5"]
    );
    let world = app.world_mut();
    assert!(world.entity(a).contains::<Connected>() && world.entity(b).contains::<Connected>());
    assert_eq!(
        world.entity(a).get::<NetClient>().unwrap().id(),
        Some(ClientId::Local(4))
    );
    let mut remotes: Vec<ClientId> = world.query::<&RemoteClient>().iter(world).map(|r| r.id).collect();
    remotes.sort();
    assert_eq!(remotes, [ClientId::Local(4), ClientId::Local(5)]);

    world.write_message(ClientSend::new(b, "up from 5"));
    world.write_message(ServerSend::to(ClientId::Local(4), "down to 4"));
    world.write_message(ServerSend::broadcast(Bytes::from_static(b"all")));
    app.update(); // PostUpdate sends; the next PreUpdate receives
    app.update();
    let seen = app.world().resource::<Seen>();
    assert_eq!(seen.server.last().unwrap(), "payload local:5 up from 5");
    let mut got = seen.client[2..].to_vec();
    got.sort(); // query order
    assert_eq!(got, ["payload all", "payload all", "payload down to 4"]);
    assert!(seen.errors.is_empty(), "{seen:?}");
}

#[test]
fn payloads_of_a_frame_share_one_buffer() {
    let (mut app, a, _) = host_app();
    app.update();
    for text in ["first", "second", "third"] {
        app.world_mut().write_message(ClientSend::new(a, text));
    }
    app.update();
    app.update();
    let seen = app.world().resource::<Seen>();
    let p = &seen.payloads;
    assert_eq!(p.len(), 3, "{seen:?}");
    // Each payload starts where the previous one ends: cut from one allocation, not one
    // Vec each.
    assert_eq!(p[0].as_ptr().wrapping_add(p[0].len()), p[1].as_ptr());
    assert_eq!(p[1].as_ptr().wrapping_add(p[1].len()), p[2].as_ptr());
    assert_eq!(&p[2][..], b"third");
}

#[test]
fn stop_start_disconnect_and_connect_through_messages() {
    let (mut app, a, b) = host_app();
    app.update();
    app.world_mut().write_message(DisconnectClient { entity: b });
    app.update();
    app.update();
    {
        let seen = app.world().resource::<Seen>();
        assert_eq!(
            seen.server.last().unwrap(),
            &format!("disconnected local:5 {:?}", DisconnectReason::Remote)
        );
        assert!(!app.world().entity(b).contains::<Connected>());
    }

    app.world_mut().write_message(StopServer);
    app.update();
    {
        let seen = app.world().resource::<Seen>();
        let n = seen.server.len();
        assert_eq!(
            seen.server[n - 2..],
            [
                format!("disconnected local:4 {:?}", DisconnectReason::ServerStopped),
                "stopped".into()
            ]
        );
        assert!(!app.world().resource::<NetServer>().is_running());
        let world = app.world_mut();
        assert_eq!(world.query::<&RemoteClient>().iter(world).count(), 0);
    }
    // The local client hears of it in its next update.
    app.update();
    assert_eq!(
        app.world().resource::<Seen>().client.last().unwrap(),
        &format!(
            "disconnected {:?} {:?}",
            ClientState::Disconnected,
            DisconnectReason::Remote
        )
    );

    // Sends with no server: an error, not a silent drop.
    app.world_mut().write_message(ServerSend::broadcast("nobody"));
    app.update(); // PostUpdate reports it; the next frame's Update records it
    app.update();
    assert_eq!(
        app.world().resource::<Seen>().errors,
        [(NetSide::Server, ErrorCode::NotRunning)]
    );

    app.world_mut().write_message(StartServer);
    app.world_mut().write_message(ConnectClient { entity: a });
    app.world_mut().write_message(ConnectClient { entity: b });
    app.update();
    app.update();
    let seen = app.world().resource::<Seen>();
    let n = seen.server.len();
    // Entities are polled in query order, not spawn order.
    let mut last = seen.server[n - 3..].to_vec();
    last[1..].sort();
    assert_eq!(last, ["started", "connected local:4", "connected local:5"]);
    assert_eq!(seen.errors.len(), 1, "{seen:?}");
}

#[test]
fn failures_become_error_messages() {
    let (mut app, a, _) = host_app();
    let stray = app.world_mut().spawn_empty().id();
    app.update();
    let world = app.world_mut();
    world.write_message(ServerSend::to(ClientId::Netcode(12345), "x"));
    world.write_message(ClientSend::new(a, ""));
    world.write_message(ClientSend::new(stray, "x"));
    app.update();
    app.update();
    assert_eq!(
        app.world().resource::<Seen>().errors,
        [
            (NetSide::Server, ErrorCode::UnknownClient),
            (NetSide::Client(a), ErrorCode::PayloadSize),
            (NetSide::Client(stray), ErrorCode::InvalidHandle),
        ]
    );

    // A local client needs a server in the app.
    let mut app = self::app();
    app.add_plugins(ClientPlugin::new());
    let lonely = app.world_mut().spawn(NetClient::local(1)).id();
    app.update();
    assert_eq!(
        app.world().resource::<Seen>().errors,
        [(NetSide::Client(lonely), ErrorCode::InvalidArgument)]
    );
}

/// A netcode client whose server never answers: its request times out after the token's
/// 2 s of the clock the plugin passes to update, not of wall time (the loop takes ms).
fn silent_server_client(app: &mut App) -> UdpSocket {
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let key = lightyear_conn::generate_key().unwrap();
    let token = TokenParams::new(9, 3, &key)
        .public_address(silent.local_addr().unwrap().to_string())
        .timeout_seconds(2)
        .generate()
        .unwrap();
    app.world_mut().spawn(NetClient::netcode(
        TokenSource::Token(token),
        ClientConfig::new().client_id(3),
    ));
    silent
}

#[derive(Resource, Default)]
struct GaveUpAt(Option<(f64, ClientState)>);

fn note_give_up(time: Res<Time>, mut cd: MessageReader<ClientDisconnected>, mut at: ResMut<GaveUpAt>) {
    for m in cd.read() {
        at.0 = Some((time.elapsed_secs_f64(), m.state));
    }
}

#[test]
fn bevy_virtual_time_is_the_clock() {
    let mut app = app();
    app.add_plugins(ClientPlugin::new())
        .init_resource::<GaveUpAt>()
        .add_systems(Update, note_give_up.after(record));
    let _silent = silent_server_client(&mut app);
    for _ in 0..300 {
        app.update();
    }
    let (at, state) = app.world().resource::<GaveUpAt>().0.expect("the request timed out");
    assert_eq!(state, ClientState::ConnectionRequestTimedOut);
    assert!((2.0..2.1).contains(&at), "gave up at {at} s of virtual time");
}

#[test]
fn fixed_schedules_use_time_fixed() {
    let mut app = app();
    // 100 ms of virtual time per update, 50 ms steps: two fixed steps per update.
    app.insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_millis(100)))
        .insert_resource(Time::<Fixed>::from_seconds(0.05))
        .add_plugins(ClientPlugin::new().schedules(NetSchedules::Fixed))
        .init_resource::<GaveUpAt>()
        // In FixedUpdate, Res<Time> is Time<Fixed>.
        .add_systems(FixedUpdate, note_give_up);
    let _silent = silent_server_client(&mut app);
    for _ in 0..30 {
        app.update();
    }
    let (at, state) = app.world().resource::<GaveUpAt>().0.expect("the request timed out");
    assert_eq!(state, ClientState::ConnectionRequestTimedOut);
    assert!((2.0..2.1).contains(&at), "gave up at {at} s of fixed time");
}

#[test]
fn fixed_schedules_run_once_per_fixed_step() {
    let key = lightyear_conn::generate_key().unwrap();
    let mut app = app();
    // 10 ms frames, 50 ms steps: nothing runs until the fifth frame.
    app.insert_resource(Time::<Fixed>::from_seconds(0.05)).add_plugins((
        ServerPlugin::new(ServerConfig::new(9, &key)).schedules(NetSchedules::Fixed),
        ClientPlugin::new().schedules(NetSchedules::Fixed),
    ));
    app.world_mut().spawn(NetClient::local(4));
    let mut frames = 0;
    while app.world().resource::<Seen>().client.is_empty() && frames < 20 {
        app.update();
        frames += 1;
    }
    // Bevy's first frame has a zero delta, so the first step completes in frame 6.
    assert!((5..=6).contains(&frames), "connected in frame {frames}");
    let seen = app.world().resource::<Seen>();
    assert_eq!(seen.server, ["started"]);
    assert_eq!(seen.client, ["connected local:4"]);
}

#[derive(Resource, Default)]
struct Warnings(Vec<ServerWarning>);

fn record_warnings(mut seen: ResMut<Warnings>, mut w: MessageReader<ServerWarning>) {
    seen.0.extend(w.read().copied());
}

#[test]
fn netcode_clients_in_one_app_and_a_refused_join() {
    let key = lightyear_conn::generate_key().unwrap();
    let config = ServerConfig::new(9, &key).bind("127.0.0.1:0").token_history_size(1);
    let mut app = app();
    app.add_plugins((ServerPlugin::new(config), ClientPlugin::new()))
        .init_resource::<Warnings>()
        .add_systems(Update, record_warnings);
    app.update();
    let addr = app
        .world()
        .resource::<NetServer>()
        .server()
        .unwrap()
        .address(0)
        .unwrap();
    let manual = |id| {
        NetClient::netcode(
            TokenSource::Manual {
                server_address: addr.clone(),
                client_id: id,
                protocol_id: 9,
                key,
            },
            ClientConfig::new(),
        )
    };
    let first = app.world_mut().spawn(manual(1)).id();
    for _ in 0..200 {
        app.update();
        if app.world().entity(first).contains::<Connected>() {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(app.world().entity(first).contains::<Connected>());
    // The history's one entry is taken: the next join is refused with a warning.
    app.world_mut().spawn(manual(2));
    for _ in 0..30 {
        app.update();
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(
        app.world().resource::<Warnings>().0,
        [ServerWarning {
            client: ClientId::Netcode(2),
            warning: Warning::TokenHistoryFull
        }]
    );
    assert_eq!(
        app.world().resource::<Seen>().server,
        ["started", "connected netcode:1"]
    );
}

#[test]
fn a_batching_server_flushes_in_post_update() {
    let key = lightyear_conn::generate_key().unwrap();
    let config = ServerConfig::new(9, &key).bind("127.0.0.1:0").batch_sends(true);
    let mut app = app();
    app.add_plugins(ServerPlugin::new(config));
    app.update();
    let addr = app
        .world()
        .resource::<NetServer>()
        .server()
        .unwrap()
        .address(0)
        .unwrap();
    // This client is outside the app: what it reads was written by the flush of the frame
    // below, not by a later update of the server.
    let mut client = lightyear_conn::Client::manual(&addr, 21, 9, &key, &ClientConfig::new()).unwrap();
    client.connect().unwrap();
    for _ in 0..200 {
        client.update(0.01).unwrap();
        app.update();
        if client.is_connected() {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(client.is_connected());
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
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(got.as_deref(), Some(&b"flushed"[..]));
    assert!(app.world().resource::<Seen>().errors.is_empty());
}
