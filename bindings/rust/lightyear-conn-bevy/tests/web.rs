//! The ServerPlugin serving browsers: binds with ws:// and wt://, web options through
//! `ServerPlugin::web_options`, and the Go browser-transport client of the C tests
//! (tests/web/client, built here with `go build`) connecting over both, its payloads echoed
//! by a Bevy system through `ServerSend`. Bad options become a `NetError`.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bevy_app::{App, Update};
use bevy_ecs::prelude::*;
use bevy_time::{TimePlugin, TimeUpdateStrategy};
use lightyear_conn::{ClientId, ErrorCode, ServerConfig, TokenParams, WebOptions};
use lightyear_conn_bevy::*;

const PROTOCOL: u64 = 0x4C59_4245_5659_0001;
const EXCHANGE: usize = 40;

#[derive(Resource, Default, Debug)]
struct Seen {
    started: Vec<String>,
    connected: Vec<ClientId>,
    payloads: usize,
    disconnected: Vec<ClientId>,
    errors: Vec<ErrorCode>,
}

fn echo(
    mut seen: ResMut<Seen>,
    mut started: MessageReader<ServerStarted>,
    mut connected: MessageReader<ServerConnected>,
    mut payloads: MessageReader<ServerPayload>,
    mut disconnected: MessageReader<ServerDisconnected>,
    mut errors: MessageReader<NetError>,
    mut send: MessageWriter<ServerSend>,
) {
    for m in started.read() {
        seen.started.extend(m.addresses.iter().cloned());
    }
    seen.connected.extend(connected.read().map(|m| m.client));
    for m in payloads.read() {
        seen.payloads += 1;
        send.write(ServerSend::to(m.client, m.data.clone()));
    }
    seen.disconnected.extend(disconnected.read().map(|m| m.client));
    seen.errors.extend(errors.read().map(|e| e.error.code));
}

fn app(plugin: ServerPlugin) -> App {
    let mut app = App::new();
    app.add_message::<NetError>()
        .add_plugins(TimePlugin)
        .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_millis(10)))
        .add_plugins(plugin)
        .init_resource::<Seen>()
        .add_systems(Update, echo);
    app
}

fn helper() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..");
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bevy-web");
    std::fs::create_dir_all(&dir).unwrap();
    let exe = dir.join("webclient");
    let out = Command::new(std::env::var("GO").unwrap_or_else(|_| "go".into()))
        .args(["build", "-o"])
        .arg(&exe)
        .arg("./tests/web/client")
        .current_dir(root)
        .output()
        .expect("run go build (Go is needed for the web tests)");
    assert!(
        out.status.success(),
        "go build:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

#[test]
fn bad_web_options_are_a_net_error() {
    let key = lightyear_conn::generate_key().unwrap();
    let config = ServerConfig::new(PROTOCOL, &key).bind("wt://127.0.0.1:0");
    let mut app = app(ServerPlugin::new(config).web_options(WebOptions::new().path("no-slash")));
    app.update();
    let seen = app.world().resource::<Seen>();
    assert_eq!(seen.errors, [ErrorCode::InvalidArgument], "{seen:?}");
    assert!(seen.started.is_empty());
    assert!(!app.world().resource::<NetServer>().is_running());
}

#[test]
fn browsers_over_ws_and_wt_are_echoed_by_a_system() {
    let key = lightyear_conn::generate_key().unwrap();
    let config = ServerConfig::new(PROTOCOL, &key)
        .bind("udp://127.0.0.1:0")
        .bind("ws://127.0.0.1:0")
        .bind("wt://127.0.0.1:0");
    let mut app = app(ServerPlugin::new(config).web_options(WebOptions::new().path("/netcode").max_sessions(4)));
    app.update();
    let addrs = app.world().resource::<Seen>().started.clone();
    assert_eq!(addrs.len(), 3, "{addrs:?}");
    let ws = addrs[1].strip_prefix("ws://").expect("ws second").to_string();
    let wt = addrs[2].strip_prefix("wt://").expect("wt third").to_string();
    let hashes = app
        .world()
        .resource::<NetServer>()
        .server()
        .unwrap()
        .web_cert_hashes()
        .unwrap();
    assert_eq!(hashes.len(), 1);
    let pin: String = hashes[0].iter().map(|b| format!("{b:02x}")).collect();
    let exe = helper();
    let dir = exe.parent().unwrap().to_path_buf();

    for (k, (url, addr)) in [
        (format!("ws://{ws}/netcode"), &ws),
        (format!("https://{wt}/netcode"), &wt),
    ]
    .into_iter()
    .enumerate()
    {
        let id = 500 + k as u64;
        let token = TokenParams::new(PROTOCOL, id, &key)
            .public_address(addr.as_str())
            .generate()
            .unwrap();
        let tok = dir.join(format!("token{k}.bin"));
        std::fs::write(&tok, token.as_bytes()).unwrap();
        let mut cmd = Command::new(&exe);
        cmd.arg("-token")
            .arg(&tok)
            .args(["-url", &url, "-n", &EXCHANGE.to_string()]);
        if k == 1 {
            cmd.args(["-pin", &pin]);
        }
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let before = app.world().resource::<Seen>().payloads;
        let start = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if start.elapsed() > Duration::from_secs(40) {
                let _ = child.kill();
                panic!("the web client did not finish");
            }
            app.update();
            // Bevy's clock steps 10 ms per update: keep it near the wall clock the
            // client's keep-alives follow.
            std::thread::sleep(Duration::from_millis(10));
        };
        let out = child.wait_with_output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(status.success(), "client {k} failed:\n{text}");
        assert!(text.contains(&format!("exchanged {EXCHANGE} payloads")), "{text}");
        for _ in 0..300 {
            if app
                .world()
                .resource::<Seen>()
                .disconnected
                .contains(&ClientId::Netcode(id))
            {
                break;
            }
            app.update();
            std::thread::sleep(Duration::from_millis(10));
        }
        let seen = app.world().resource::<Seen>();
        assert!(seen.connected.contains(&ClientId::Netcode(id)), "{seen:?}");
        assert!(seen.disconnected.contains(&ClientId::Netcode(id)), "{seen:?}");
        assert_eq!(seen.payloads - before, EXCHANGE, "{seen:?}");
    }
    let seen = app.world().resource::<Seen>();
    assert!(seen.errors.is_empty(), "{seen:?}");
    let stats = app
        .world()
        .resource::<NetServer>()
        .server()
        .unwrap()
        .web_stats()
        .unwrap();
    assert_eq!(stats.sessions_accepted, 2, "{stats:?}");
    assert!(stats.sent >= 2 * EXCHANGE as u64, "{stats:?}");
}
