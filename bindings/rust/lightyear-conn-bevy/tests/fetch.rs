//! TokenSource::Service against real parts (a redis-server and two lytokens replicas over
//! TLS, ../lightyear-conn/tests/common/fleet.rs): a Bevy app's server registers in the
//! fleet through the ServerPlugin, its client entity fetches a token without blocking a
//! frame, connects and exchanges payloads; a refused fetch becomes ClientTokenFetchFailed.

#[path = "../../lightyear-conn/tests/common/fleet.rs"]
mod fleet;

use std::time::{Duration, Instant};

use bevy_app::{App, Update};
use bevy_ecs::prelude::*;
use bevy_time::{TimePlugin, TimeUpdateStrategy};
use fleet::fleet;
use lightyear_conn::{ClientConfig, ErrorCode, FleetConfig, FleetStatus, ServerConfig, TokenFetchOptions};
use lightyear_conn_bevy::*;

#[derive(Resource, Default, Debug)]
struct Seen {
    client_connected: bool,
    server_payloads: Vec<Bytes>,
    client_payloads: Vec<Bytes>,
    token_failures: Vec<ErrorCode>,
    errors: Vec<(NetSide, ErrorCode)>,
}

#[derive(bevy_ecs::system::SystemParam)]
struct Readers<'w, 's> {
    cc: MessageReader<'w, 's, ClientConnected>,
    sp: MessageReader<'w, 's, ServerPayload>,
    cp: MessageReader<'w, 's, ClientPayload>,
    failed: MessageReader<'w, 's, ClientTokenFetchFailed>,
    errors: MessageReader<'w, 's, NetError>,
}

fn record(mut seen: ResMut<Seen>, mut r: Readers, mut echo: MessageWriter<ServerSend>) {
    seen.client_connected |= r.cc.read().count() > 0;
    for m in r.sp.read() {
        seen.server_payloads.push(m.data.clone());
        echo.write(ServerSend::to(m.client, m.data.clone()));
    }
    for m in r.cp.read() {
        seen.client_payloads.push(m.data.clone());
    }
    for m in r.failed.read() {
        seen.token_failures.push(m.error.code);
    }
    for e in r.errors.read() {
        seen.errors.push((e.side, e.error.code));
    }
}

fn app(server: Option<ServerPlugin>) -> App {
    let mut app = App::new();
    app.add_plugins(TimePlugin)
        .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_millis(10)))
        .init_resource::<Seen>();
    match server {
        Some(s) => app.add_plugins(s),
        None => app.add_message::<ServerPayload>().add_message::<ServerSend>(),
    };
    app.add_plugins(ClientPlugin::new()).add_systems(Update, record);
    app
}

/// Updates until `done`, at most `secs` of wall time; checks that no frame waited on the
/// network (a blocking fetch takes a TLS round trip at least).
fn run_until(app: &mut App, secs: u64, what: &str, mut done: impl FnMut(&mut App) -> bool) {
    let t0 = Instant::now();
    while !done(app) {
        assert!(t0.elapsed() < Duration::from_secs(secs), "timed out: {what}");
        let frame = Instant::now();
        app.update();
        assert!(
            frame.elapsed() < Duration::from_millis(500),
            "a frame took {:?}",
            frame.elapsed()
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn client_entity_fetches_its_token_from_the_service_and_connects() {
    let f = fleet();
    let server = ServerPlugin::new(
        ServerConfig::new(f.protocol_id, &f.private_key)
            .bind("127.0.0.1:0")
            .max_clients(4),
    )
    .fleet(
        FleetConfig::new(&f.redis)
            .key_prefix(&f.prefix)
            .tags("bevy")
            .ttl(Duration::from_secs(2)),
    );
    let mut app = app(Some(server));
    run_until(&mut app, 10, "fleet registration", |app| {
        let net = app.world().resource::<NetServer>();
        net.server()
            .is_some_and(|s| s.fleet_status() == Ok(FleetStatus::Registered))
    });

    let options = TokenFetchOptions::new(&f.urls[0], f.credential())
        .pin_sha256(&f.pin)
        .tag("bevy");
    let entity = app
        .world_mut()
        .spawn(NetClient::netcode(TokenSource::Service(options), ClientConfig::new()))
        .id();
    app.update();
    assert!(
        app.world().get::<NetClient>(entity).unwrap().is_fetching_token(),
        "the first frame returned with the fetch in progress"
    );
    run_until(&mut app, 20, "client connects", |app| {
        app.world().resource::<Seen>().client_connected && app.world().get::<Connected>(entity).is_some()
    });
    assert!(!app.world().get::<NetClient>(entity).unwrap().is_fetching_token());

    app.world_mut()
        .write_message(ClientSend::new(entity, &b"hello fleet"[..]));
    run_until(&mut app, 10, "payload echoed", |app| {
        !app.world().resource::<Seen>().client_payloads.is_empty()
    });
    let seen = app.world().resource::<Seen>();
    assert_eq!(seen.server_payloads, [Bytes::from_static(b"hello fleet")]);
    assert_eq!(seen.client_payloads, [Bytes::from_static(b"hello fleet")]);
    assert!(seen.errors.is_empty(), "{:?}", seen.errors);
    assert!(seen.token_failures.is_empty());
}

#[test]
fn refused_fetch_becomes_a_message() {
    let f = fleet();
    let mut app = app(None);
    let bad = TokenFetchOptions::new(&f.urls[1], &f.bad_credential).pin_sha256(&f.pin);
    let entity = app
        .world_mut()
        .spawn(NetClient::netcode(TokenSource::Service(bad), ClientConfig::new()))
        .id();
    run_until(&mut app, 15, "the refusal", |app| {
        !app.world().resource::<Seen>().token_failures.is_empty()
    });
    let seen = app.world().resource::<Seen>();
    assert_eq!(seen.token_failures, [ErrorCode::Unauthorized]);
    assert_eq!(seen.errors, [(NetSide::Client(entity), ErrorCode::Unauthorized)]);
    let net = app.world().get::<NetClient>(entity).unwrap();
    assert!(
        !net.is_fetching_token() && net.client().is_none(),
        "no client, no retry by itself"
    );

    // No server has the tag: 503 as NoServer, after ConnectClient tries again.
    let none = TokenFetchOptions::new(&f.urls[0], f.credential())
        .pin_sha256(&f.pin)
        .tag("bevy-nobody");
    let other = app
        .world_mut()
        .spawn(NetClient::netcode(TokenSource::Service(none), ClientConfig::new()))
        .id();
    run_until(&mut app, 15, "503", |app| {
        app.world().resource::<Seen>().token_failures.len() == 2
    });
    app.world_mut().write_message(ConnectClient { entity: other });
    run_until(&mut app, 15, "503 again", |app| {
        app.world().resource::<Seen>().token_failures.len() == 3
    });
    let seen = app.world().resource::<Seen>();
    assert_eq!(seen.token_failures[1..], [ErrorCode::NoServer, ErrorCode::NoServer]);
}
