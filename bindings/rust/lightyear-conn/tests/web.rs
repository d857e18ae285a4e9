//! Browser transports: a server on udp + ws + wt, and the Go browser-transport client of the
//! C tests (tests/web/client, built here with `go build`) connecting over WebSocket and
//! WebTransport, pinned to the hash `web_cert_hashes` reports, exchanging payloads the server
//! echoes. Plus the options' errors, rotation and the counters. Every loop is bounded.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use lightyear_conn::*;

const PROTOCOL: u64 = 0x4C59_5745_4254_0001;
const EXCHANGE: usize = 60;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

fn tmp() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("web");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The Go client helper, built once per test binary.
fn helper() -> &'static Path {
    static HELPER: OnceLock<PathBuf> = OnceLock::new();
    HELPER.get_or_init(|| {
        let exe = tmp().join("webclient");
        let out = Command::new(std::env::var("GO").unwrap_or_else(|_| "go".into()))
            .arg("build")
            .arg("-o")
            .arg(&exe)
            .arg("./tests/web/client")
            .current_dir(repo_root())
            .output()
            .expect("run go build (Go is needed for the web tests)");
        assert!(
            out.status.success(),
            "go build ./tests/web/client:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        exe
    })
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// `"ws://127.0.0.1:5000"` -> `"127.0.0.1:5000"`.
fn host_port(bound: &str, scheme: &str) -> String {
    let rest = bound
        .strip_prefix(&format!("{scheme}://"))
        .unwrap_or_else(|| panic!("{scheme} listener: {bound}"));
    assert!(rest.starts_with("127.0.0.1:"), "{bound}");
    rest.to_string()
}

#[derive(Default, Debug)]
struct Seen {
    connected: usize,
    payloads: usize,
    disconnected: usize,
    address: String,
}

/// Runs the helper while driving the server (echoing `id`'s payloads); returns its exit
/// status success, its output and what the server saw.
fn run_client(server: &mut Server, id: ClientId, args: &[&str]) -> (bool, String, Seen) {
    let mut child = Command::new(helper())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut seen = Seen::default();
    let mut events = EventBuffer::new(16);
    let start = Instant::now();
    let mut drive = |server: &mut Server, seen: &mut Seen| {
        server.update(0.005).unwrap();
        for ev in server.poll_batch(&mut events).unwrap() {
            match ev {
                Event::Connected { client } if client == id => {
                    seen.connected += 1;
                    seen.address = server.client_address(client).unwrap();
                }
                Event::Payload { client, data } if client == id => {
                    seen.payloads += 1;
                    server.send(client, data).unwrap();
                }
                Event::Disconnected { client, .. } if client == id => seen.disconnected += 1,
                _ => {}
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(40) {
            let _ = child.kill();
            panic!("the web client did not finish");
        }
        drive(server, &mut seen);
    };
    // The disconnect may land after the process exits.
    let until = Instant::now();
    while seen.connected > seen.disconnected && until.elapsed() < Duration::from_secs(3) {
        drive(server, &mut seen);
    }
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (status.success(), text, seen)
}

fn token_file(key: &Key, address: &str, client_id: u64, name: &str) -> String {
    let token = TokenParams::new(PROTOCOL, client_id, key)
        .public_address(address)
        .generate()
        .unwrap();
    let path = tmp().join(name);
    std::fs::write(&path, token.as_bytes()).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn options_are_checked() {
    let key = generate_key().unwrap();
    let config = ServerConfig::new(PROTOCOL, &key).bind("wt://127.0.0.1:0");
    let mut server = Server::new(&config).unwrap();
    for (what, options) in [
        (
            "30 s validity",
            WebOptions::new().cert_validity(Duration::from_secs(30)),
        ),
        (
            "15 day validity",
            WebOptions::new().cert_validity(Duration::from_secs(15 * 86400)),
        ),
        // A fraction of a second is rounded up, never down to 0 (the default).
        (
            "10 ms validity",
            WebOptions::new().cert_validity(Duration::from_millis(10)),
        ),
        ("path without /", WebOptions::new().path("netcode")),
        (
            "unreadable cert",
            WebOptions::new().cert("/nonexistent/c.pem", "/nonexistent/k.pem"),
        ),
        ("count over 1048576", WebOptions::new().max_sessions(1_048_577)),
        ("NUL in the path", WebOptions::new().path("/a\0b")),
        (
            "timeout over 2^32 ms",
            WebOptions::new().write_timeout(Duration::from_secs(60 * 86400)),
        ),
    ] {
        let e = server.set_web_options(&options).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidArgument, "{what}: {e}");
        assert!(!e.message.is_empty(), "{what}: a message says why");
    }

    // Each setting reaches its own field: the library's message names the field it refused.
    let e = server
        .set_web_options(&WebOptions::new().cert_validity(Duration::from_secs(30)))
        .unwrap_err();
    assert!(e.message.starts_with("cert_validity_seconds 30 "), "{e}");
    for (field, options) in [
        ("max_sessions", WebOptions::new().max_sessions(1_048_577)),
        ("max_sessions_per_ip", WebOptions::new().max_sessions_per_ip(1_048_577)),
        ("recv_queue", WebOptions::new().recv_queue(1_048_577)),
        ("session_recv_queue", WebOptions::new().session_recv_queue(1_048_577)),
        ("send_queue", WebOptions::new().send_queue(1_048_577)),
    ] {
        let e = server.set_web_options(&options).unwrap_err();
        assert!(e.message.starts_with(&format!("{field} 1048577")), "{field}: {e}");
    }

    let before = server.web_cert_hashes().unwrap();
    assert_eq!(before.len(), 1, "one self-signed certificate");
    server
        .set_web_options(
            &WebOptions::new()
                .cert_validity(Duration::from_secs(2 * 86400))
                .path("/netcode"),
        )
        .unwrap();
    let after = server.web_cert_hashes().unwrap();
    assert_eq!(after.len(), 1);
    assert_ne!(before[0], after[0], "setting options again makes a new certificate");
    server.start().unwrap();
    assert_eq!(
        server.set_web_options(&WebOptions::new()).unwrap_err().code,
        ErrorCode::AlreadyActive,
        "set while running"
    );
    server.stop().unwrap();
    server.set_web_options(&WebOptions::new()).unwrap();
    drop(server);

    // Through ServerConfig: Server::new fails with the same error.
    let e = Server::new(&config.clone().web_options(WebOptions::new().path("nope"))).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
    // wss:// needs a certificate: at construction with options, at start without.
    let wss = ServerConfig::new(PROTOCOL, &key).bind("wss://127.0.0.1:0");
    let e = Server::new(&wss.clone().web_options(WebOptions::new())).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
    let mut s = Server::new(&wss).unwrap();
    assert_eq!(s.start().unwrap_err().code, ErrorCode::InvalidArgument);

    // No wt:// listener: no hashes, nothing to rotate, zero counters.
    let plain = Server::new(&ServerConfig::new(PROTOCOL, &key).bind("127.0.0.1:0")).unwrap();
    assert!(plain.web_cert_hashes().unwrap().is_empty());
    assert_eq!(plain.rotate_web_cert().unwrap_err().code, ErrorCode::InvalidArgument);
    assert_eq!(plain.web_stats().unwrap(), WebStats::default());
}

#[test]
fn ws_and_wt_clients_exchange_with_the_server() {
    let key = generate_key().unwrap();
    let config = ServerConfig::new(PROTOCOL, &key)
        .bind("udp://127.0.0.1:0,ws://127.0.0.1:0,wt://127.0.0.1:0")
        .web_options(
            WebOptions::new()
                .cert_validity(Duration::from_secs(2 * 86400))
                .path("/netcode")
                .max_sessions(4)
                .max_sessions_per_ip(2)
                .idle_timeout(Duration::from_secs(5)),
        );
    let mut server = Server::new(&config).unwrap();
    server.start().unwrap();
    let addrs = server.addresses().unwrap();
    assert_eq!(addrs.len(), 3, "{addrs:?}");
    assert!(addrs[0].starts_with("127.0.0.1:"), "udp first, no scheme: {addrs:?}");
    let ws = host_port(&addrs[1], "ws");
    let wt = host_port(&addrs[2], "wt");

    let hashes = server.web_cert_hashes().unwrap();
    assert_eq!(hashes.len(), 1);
    let pin = hex(&hashes[0]);
    let n = EXCHANGE.to_string();

    for (k, (scheme, url, addr)) in [
        ("ws", format!("ws://{ws}/netcode"), &ws),
        ("wt", format!("https://{wt}/netcode"), &wt),
    ]
    .into_iter()
    .enumerate()
    {
        let id = 300 + k as u64;
        let tok = token_file(&key, addr, id, &format!("{scheme}.token"));
        let mut args = vec!["-token", &tok, "-url", &url, "-n", &n];
        if scheme == "wt" {
            args.extend(["-pin", &pin]);
        }
        let (ok, out, seen) = run_client(&mut server, ClientId::Netcode(id), &args);
        assert!(ok, "{scheme} client failed:\n{out}");
        assert!(
            out.contains(&format!("exchanged {EXCHANGE} payloads")),
            "{scheme}:\n{out}"
        );
        assert_eq!(
            (seen.connected, seen.payloads, seen.disconnected),
            (1, EXCHANGE, 1),
            "{scheme}: {seen:?}"
        );
        assert!(seen.address.starts_with("127.0.0.1:"), "{scheme}: {seen:?}");
        // The wt client prints the certificate it was presented: the hash reported here.
        let presented: Vec<&str> = out.lines().filter(|l| l.starts_with("presented ")).collect();
        if scheme == "wt" {
            assert_eq!(presented, vec![format!("presented {pin}").as_str()], "{out}");
        } else {
            assert!(presented.is_empty(), "{out}");
        }
    }

    // A wrong pin: the certificate is refused, no connection.
    let tok = token_file(&key, &wt, 310, "wrong.token");
    let url = format!("https://{wt}/netcode");
    let wrong = "a".repeat(64);
    let (ok, out, seen) = run_client(
        &mut server,
        ClientId::Netcode(310),
        &[
            "-token", &tok, "-url", &url, "-n", "1", "-timeout", "5s", "-pin", &wrong,
        ],
    );
    assert!(!ok, "a wrong pin must fail:\n{out}");
    assert_eq!(seen.connected, 0);

    // A rotation: both hashes, newest first.
    server.rotate_web_cert().unwrap();
    let after = server.web_cert_hashes().unwrap();
    assert_eq!(after.len(), 2);
    assert_eq!(hex(&after[1]), pin, "the old hash second");
    assert_ne!(hex(&after[0]), pin, "a new hash first");

    // The counters: two sessions, closed by their peers (or idle when a close is lost with
    // the exiting client), the payloads each way.
    let deadline = Instant::now() + Duration::from_secs(8);
    let mut st = server.web_stats().unwrap();
    while st.sessions_active != 0 && Instant::now() < deadline {
        server.update(0.01).unwrap();
        while server.poll().unwrap().is_some() {}
        std::thread::sleep(Duration::from_millis(10));
        st = server.web_stats().unwrap();
    }
    assert_eq!(st.sessions_accepted, 2, "{st:?}");
    assert_eq!(st.sessions_active, 0, "{st:?}");
    assert_eq!(st.closed_peer + st.closed_idle, 2, "{st:?}");
    assert!(st.closed_peer >= 1, "the WebSocket's close travels on TCP: {st:?}");
    assert_eq!(st.closed_slow + st.closed_server, 0, "{st:?}");
    assert!(st.received >= 2 * EXCHANGE as u64, "{st:?}");
    assert!(st.sent >= 2 * EXCHANGE as u64, "{st:?}");
    assert_eq!(st.refused_origin + st.refused_full + st.refused_per_ip, 0, "{st:?}");
    assert_eq!(st.recv_oversized + st.recv_text + st.recv_queue_full, 0, "{st:?}");
    server.stop().unwrap();
    assert_eq!(server.web_stats().unwrap().sessions_accepted, 2, "kept after a stop");
}
