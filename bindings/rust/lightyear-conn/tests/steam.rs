//! The Steam part of the safe API over the test double of Valve's flat API
//! (steamworks/testdata/fakesteam/fakesteam.c), compiled here with the system C compiler
//! into libsteam_api.so and loaded by the library through its real path: `Steam::open`
//! dlopens it and resolves every symbol by name. The double routes messages in memory
//! between its listen sockets and connections, so no Steam client is needed. Its test hooks
//! (FakeSteam_*) are reached by dlopen of the same path, which gives the same instance.
//!
//! Steam is process-wide (one open library per process), so this is a test binary of its
//! own and every test holds one lock for its whole run. Linux only, like the double's build.
#![cfg(target_os = "linux")]

use std::ffi::{CStr, CString, c_char, c_int, c_long, c_void};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard, OnceLock};

use lightyear_conn::steam::{Steam, SteamClientConfig, SteamConfig, SteamFlavour, SteamInit, SteamServerConfig};
use lightyear_conn::*;

const DT: f64 = 1.0 / 60.0;
const PROTOCOL: u64 = 0x4C59_5354_4541_4D01;
const STEAM_ADDR: &str = "127.0.0.1:27015";

// ------------------------------------------------------------------ the double

unsafe extern "C" {
    fn dlopen(filename: *const c_char, flag: c_int) -> *mut c_void;
    fn dlsym(handle: *mut c_void, symbol: *const c_char) -> *mut c_void;
    fn dlerror() -> *const c_char;
}
const RTLD_NOW: c_int = 2;

/// The double's test controls, resolved in the instance the library loads too.
struct Fake {
    path: PathBuf,
    reset: unsafe extern "C" fn(),
    fail_init: unsafe extern "C" fn(*const c_char, c_int),
    live_messages: unsafe extern "C" fn() -> c_long,
    preinit: unsafe extern "C" fn(c_int),
    counter: unsafe extern "C" fn(*const c_char) -> c_long,
    handles: unsafe extern "C" fn() -> c_int,
    game_server_args: unsafe extern "C" fn(*mut u32, *mut u16, *mut u16, *mut c_int, *mut c_char, c_int),
    config: unsafe extern "C" fn(c_int) -> c_int,
}

// SAFETY: the hooks are plain C functions of the double, which guards its state with its
// own mutex; they may be called from any thread.
unsafe impl Sync for Fake {}

impl Fake {
    fn reset(&self) {
        // SAFETY: a C function taking nothing.
        unsafe { (self.reset)() }
    }

    /// The next inits fail with Steam's `code` and `msg`.
    fn fail_init(&self, msg: &str, code: i32) {
        let msg = CString::new(msg).unwrap();
        // SAFETY: msg is a NUL-terminated string alive for the call (the double copies it).
        unsafe { (self.fail_init)(msg.as_ptr(), code) }
    }

    /// Steam messages allocated and not yet released.
    fn live_messages(&self) -> c_long {
        // SAFETY: a C function taking nothing.
        unsafe { (self.live_messages)() }
    }

    /// Plays a game that initialised Steam itself: 1 client, 2 game server.
    fn preinit(&self, which: i32) {
        // SAFETY: a C function taking an int.
        unsafe { (self.preinit)(which) }
    }

    fn counter(&self, name: &str) -> c_long {
        let name = CString::new(name).unwrap();
        // SAFETY: name is a NUL-terminated string alive for the call.
        let n = unsafe { (self.counter)(name.as_ptr()) };
        assert!(n >= 0, "no counter named {name:?}");
        n
    }

    /// The value Steam's global config has for an ESteamNetworkingConfigValue key.
    fn global_config(&self, key: i32) -> i32 {
        // SAFETY: a C function taking an int.
        unsafe { (self.config)(key) }
    }

    /// Open connections, listen sockets and poll groups.
    fn handles(&self) -> i32 {
        // SAFETY: a C function taking nothing.
        unsafe { (self.handles)() }
    }

    /// (ip in host order, game port, query port, server mode, version) of the last
    /// game-server init.
    fn game_server_args(&self) -> (u32, u16, u16, i32, String) {
        let (mut ip, mut gp, mut qp, mut mode) = (0u32, 0u16, 0u16, 0 as c_int);
        let mut version = [0 as c_char; 64];
        // SAFETY: every pointer is valid for writing; version has the capacity passed.
        unsafe { (self.game_server_args)(&mut ip, &mut gp, &mut qp, &mut mode, version.as_mut_ptr(), 64) };
        // SAFETY: the double writes a NUL-terminated string (snprintf).
        let version = unsafe { CStr::from_ptr(version.as_ptr()) }
            .to_string_lossy()
            .into_owned();
        (ip, gp, qp, mode, version)
    }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

/// Compiles the double (once per test binary) and loads its hooks.
fn fake() -> &'static Fake {
    static FAKE: OnceLock<Fake> = OnceLock::new();
    FAKE.get_or_init(|| {
        let src = repo_root().join("steamworks/testdata/fakesteam/fakesteam.c");
        assert!(src.is_file(), "the test double's source is not at {}", src.display());
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fakesteam");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("libsteam_api.so");
        let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
        let out = Command::new(&cc)
            .args([
                "-std=c11",
                "-D_POSIX_C_SOURCE=200809L",
                "-shared",
                "-fPIC",
                "-fvisibility=hidden",
                "-O1",
            ])
            .arg("-o")
            .arg(&path)
            .arg(&src)
            .arg("-lpthread")
            .output()
            .unwrap_or_else(|e| panic!("could not run the C compiler {cc:?}: {e}"));
        assert!(
            out.status.success(),
            "compiling {} failed:\n{}",
            src.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let path = std::fs::canonicalize(path).unwrap();

        let cpath = CString::new(path.to_str().unwrap()).unwrap();
        // SAFETY: cpath is a NUL-terminated path; dlopen/dlerror are thread-safe in glibc.
        let h = unsafe { dlopen(cpath.as_ptr(), RTLD_NOW) };
        if h.is_null() {
            // SAFETY: dlerror returns a NUL-terminated message after a failed dlopen.
            panic!(
                "dlopen {}: {}",
                path.display(),
                unsafe { CStr::from_ptr(dlerror()) }.to_string_lossy()
            );
        }
        let sym = |name: &str| {
            let cname = CString::new(name).unwrap();
            // SAFETY: h is a live handle (never closed), cname a NUL-terminated name.
            let p = unsafe { dlsym(h, cname.as_ptr()) };
            assert!(!p.is_null(), "the double has no {name}");
            p
        };
        // SAFETY: each symbol is the double's function of exactly this C signature (see
        // fakesteam.c); function pointers and data pointers have the same size here.
        unsafe {
            Fake {
                reset: std::mem::transmute::<*mut c_void, unsafe extern "C" fn()>(sym("FakeSteam_Reset")),
                fail_init: std::mem::transmute::<*mut c_void, unsafe extern "C" fn(*const c_char, c_int)>(sym(
                    "FakeSteam_FailInit",
                )),
                live_messages: std::mem::transmute::<*mut c_void, unsafe extern "C" fn() -> c_long>(sym(
                    "FakeSteam_LiveMessages",
                )),
                preinit: std::mem::transmute::<*mut c_void, unsafe extern "C" fn(c_int)>(sym("FakeSteam_Preinit")),
                counter: std::mem::transmute::<*mut c_void, unsafe extern "C" fn(*const c_char) -> c_long>(sym(
                    "FakeSteam_Counter",
                )),
                handles: std::mem::transmute::<*mut c_void, unsafe extern "C" fn() -> c_int>(sym("FakeSteam_Handles")),
                game_server_args: std::mem::transmute::<
                    *mut c_void,
                    unsafe extern "C" fn(*mut u32, *mut u16, *mut u16, *mut c_int, *mut c_char, c_int),
                >(sym("FakeSteam_GameServerArgs")),
                config: std::mem::transmute::<*mut c_void, unsafe extern "C" fn(c_int) -> c_int>(sym(
                    "FakeSteam_Config",
                )),
                path,
            }
        }
    })
}

/// Serialises the tests (Steam is process-wide) and gives each a fresh double. A test that
/// failed while holding the lock poisons it; the next ones still run.
fn exclusive() -> (MutexGuard<'static, ()>, &'static Fake) {
    static LOCK: Mutex<()> = Mutex::new(());
    let guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let fake = fake();
    // Whatever an earlier (failed) test left open is closed: its guard is gone or dead.
    shutdown();
    fake.reset();
    (guard, fake)
}

fn config(fake: &Fake) -> SteamConfig {
    SteamConfig::new()
        .flavour(SteamFlavour::Steamworks)
        .library_path(&fake.path)
        .app_id(480)
}

/// Updates the server and the clients once.
fn tick(server: &mut Server, clients: &mut [&mut Client]) {
    for c in clients.iter_mut() {
        c.update(DT).unwrap();
    }
    server.update(DT).unwrap();
}

/// Ticks until `f` gives something (at most 300 ticks).
fn wait_for<T>(
    server: &mut Server,
    clients: &mut [&mut Client],
    what: &str,
    mut f: impl FnMut(&mut Server, &mut [&mut Client]) -> Option<T>,
) -> T {
    for _ in 0..300 {
        tick(server, clients);
        if let Some(v) = f(server, clients) {
            return v;
        }
    }
    panic!("timed out waiting for {what}");
}

/// The next server event, as owned values.
fn next_event(
    server: &mut Server,
    clients: &mut [&mut Client],
) -> (String, ClientId, Option<DisconnectReason>, Vec<u8>) {
    wait_for(server, clients, "a server event", |s, _| {
        s.poll().unwrap().map(|ev| match ev {
            Event::Connected { client } => ("connected".to_string(), client, None, Vec::new()),
            Event::Disconnected { client, reason } => ("disconnected".to_string(), client, Some(reason), Vec::new()),
            Event::Payload { client, data } => ("payload".to_string(), client, None, data.to_vec()),
            Event::Warning { client, warning } => (format!("warning: {warning}"), client, None, Vec::new()),
            other => (format!("{other:?}"), other.client(), None, Vec::new()),
        })
    })
}

// ------------------------------------------------------------------ tests

#[test]
fn steam_client_and_netcode_client_on_one_server() {
    let (_lock, fake) = exclusive();
    let steam = Steam::open(config(fake)).unwrap();
    let again = Steam::open(config(fake)).unwrap_err();
    assert_eq!(again.code, ErrorCode::AlreadyActive, "{again}");

    // One server: netcode on UDP and Steam at once.
    let key = generate_key().unwrap();
    let mut server = Server::new(&ServerConfig::new(PROTOCOL, &key).bind("127.0.0.1:0").max_clients(8)).unwrap();
    server
        .add_steam(SteamServerConfig::ip(STEAM_ADDR).max_clients(4))
        .unwrap();
    server.start().unwrap();
    let second = server.add_steam(SteamServerConfig::ip("127.0.0.1:27016")).unwrap_err();
    assert_eq!(
        second.code,
        ErrorCode::InvalidArgument,
        "one Steam backend per server: {second}"
    );
    let netcode_addr = server.address(0).unwrap();

    let mut sc = Client::steam(SteamClientConfig::ip(STEAM_ADDR)).unwrap();
    let token = TokenParams::new(PROTOCOL, 7, &key)
        .public_address(&netcode_addr)
        .generate()
        .unwrap();
    let e = sc.set_token(&token).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument, "a Steam client has no token: {e}");
    let mut nc = Client::new(&token, &ClientConfig::new().client_id(7)).unwrap();
    sc.connect().unwrap();
    nc.connect().unwrap();

    // Both connect; the server tells them apart by kind.
    let mut connected = Vec::new();
    let mut events = EventBuffer::new(16);
    wait_for(&mut server, &mut [&mut sc, &mut nc], "two connections", |s, _| {
        for ev in s.poll_batch(&mut events).unwrap() {
            match ev {
                Event::Connected { client } => connected.push(client),
                other => panic!("unexpected {other:?}"),
            }
        }
        (connected.len() == 2).then_some(())
    });
    wait_for(&mut server, &mut [&mut sc, &mut nc], "both clients' side", |_, cs| {
        (cs[0].is_connected() && cs[1].is_connected()).then_some(())
    });
    assert!(connected.contains(&ClientId::Netcode(7)), "{connected:?}");
    let steam_id = *connected
        .iter()
        .find(|c| matches!(c, ClientId::Steam(_)))
        .unwrap_or_else(|| panic!("no Steam client among {connected:?}"));
    let mut ids = server.connected_ids().unwrap();
    ids.sort();
    connected.sort();
    assert_eq!(ids, connected);
    assert_eq!(server.num_connected().unwrap(), 2);

    // Client -> server over Steam.
    sc.send(b"over steam").unwrap();
    let (kind, from, _, data) = next_event(&mut server, &mut [&mut sc, &mut nc]);
    assert_eq!(
        (kind.as_str(), from, data.as_slice()),
        ("payload", steam_id, &b"over steam"[..])
    );

    // Server -> client, routed to the Steam client only.
    server.send(steam_id, b"back").unwrap();
    let got = wait_for(&mut server, &mut [&mut sc, &mut nc], "the reply", |_, cs| {
        cs[0].receive().unwrap().map(<[u8]>::to_vec)
    });
    assert_eq!(got, b"back");
    assert_eq!(nc.receive().unwrap(), None);

    // Full-size payloads both ways, through the batch path too.
    let big: Vec<u8> = (0..MAX_PAYLOAD_SIZE).map(|i| (i % 251) as u8).collect();
    sc.send(&big).unwrap();
    sc.send(b"second").unwrap();
    let mut got = Vec::new();
    wait_for(&mut server, &mut [&mut sc, &mut nc], "two payloads", |s, _| {
        for ev in s.poll_batch(&mut events).unwrap() {
            match ev {
                Event::Payload { client, data } => got.push((client, data.to_vec())),
                other => panic!("unexpected {other:?}"),
            }
        }
        (got.len() == 2).then_some(())
    });
    assert_eq!(got, vec![(steam_id, big.clone()), (steam_id, b"second".to_vec())]);
    server.broadcast(&big).unwrap();
    let got = wait_for(&mut server, &mut [&mut sc, &mut nc], "the broadcast", |_, cs| {
        cs[0].receive().unwrap().map(<[u8]>::to_vec)
    });
    assert_eq!(got, big);
    let too_big = vec![0u8; MAX_PAYLOAD_SIZE + 1];
    assert_eq!(sc.send(&too_big).unwrap_err().code, ErrorCode::PayloadSize);
    assert_eq!(
        server.send(steam_id, &too_big).unwrap_err().code,
        ErrorCode::PayloadSize
    );

    let st = server.client_stats(steam_id).unwrap();
    assert_eq!(st.packets_received, 3);
    assert_eq!(st.bytes_received, 10 + MAX_PAYLOAD_SIZE as u64 + 6);

    // The Steam client leaves: the server sees it go, the netcode client stays.
    sc.disconnect().unwrap();
    let (kind, who, reason, _) = next_event(&mut server, &mut [&mut sc, &mut nc]);
    assert_eq!(
        (kind.as_str(), who, reason),
        ("disconnected", steam_id, Some(DisconnectReason::Remote))
    );
    assert!(!sc.is_connected());
    assert_eq!(sc.disconnect_reason().unwrap(), DisconnectReason::Local);
    assert_eq!(server.connected_ids().unwrap(), vec![ClientId::Netcode(7)]);
    assert_eq!(server.send(steam_id, b"x").unwrap_err().code, ErrorCode::UnknownClient);

    drop(sc);
    drop(nc);
    drop(server);
    assert_eq!(fake.live_messages(), 0, "every Steam message was released");
    assert_eq!(
        fake.handles(),
        0,
        "every connection, listen socket and poll group was closed"
    );
    steam.close().unwrap();
    assert_eq!(fake.counter("shutdown"), 1, "INIT_CLIENT: Steam is shut down on close");
}

#[test]
fn dropping_the_guard_closes_steam_connections() {
    let (_lock, fake) = exclusive();
    let steam = Steam::open(config(fake)).unwrap();
    let key = generate_key().unwrap();
    let mut server = Server::new(&ServerConfig::new(PROTOCOL, &key)).unwrap(); // no netcode socket
    server.start().unwrap();
    server.add_steam(SteamServerConfig::ip(STEAM_ADDR)).unwrap(); // started at once
    let mut client = Client::steam(SteamClientConfig::ip(STEAM_ADDR)).unwrap();
    client.connect().unwrap();
    let (kind, id, _, _) = next_event(&mut server, &mut [&mut client]);
    assert_eq!(kind, "connected");
    assert!(matches!(id, ClientId::Steam(_)), "{id}");
    wait_for(&mut server, &mut [&mut client], "the client side", |_, cs| {
        cs[0].is_connected().then_some(())
    });
    let mut local = server.connect_local(1).unwrap();
    let (kind, who, _, _) = next_event(&mut server, &mut [&mut client]);
    assert_eq!((kind.as_str(), who), ("connected", ClientId::Local(1)));
    client.send(b"pending").unwrap(); // a message in flight when Steam closes

    drop(steam);
    // The server's Steam clients are gone (the event says so), and the Steam client is a
    // dead handle; the values stay safe to use and drop.
    assert_eq!(
        server.poll().unwrap(),
        Some(Event::Disconnected {
            client: id,
            reason: DisconnectReason::ServerStopped
        })
    );
    assert!(!client.is_connected());
    assert_eq!(client.id().unwrap(), id, "a Steam client's id is the local SteamID");
    for e in [
        client.update(DT).unwrap_err(),
        client.send(b"x").unwrap_err(),
        client.connect().unwrap_err(),
    ] {
        assert_eq!(e.code, ErrorCode::InvalidHandle, "{e}");
    }
    // Closing Steam took the Steam backend out of the server, which goes on serving
    // its other clients.
    server.update(DT).unwrap();
    local.send(b"still here").unwrap();
    server.update(DT).unwrap();
    match server.poll().unwrap() {
        Some(Event::Payload { client, data }) => {
            assert_eq!((client, data), (ClientId::Local(1), &b"still here"[..]));
        }
        other => panic!("unexpected {other:?}"),
    }
    local.update(DT).unwrap();
    assert!(local.is_connected());
    let e = Client::steam(SteamClientConfig::ip(STEAM_ADDR)).unwrap_err();
    assert_eq!(e.code, ErrorCode::SteamUnavailable, "{e}");
    drop(local);
    drop(client);
    drop(server);
    assert_eq!(fake.live_messages(), 0, "every Steam message was released");
    assert_eq!(fake.handles(), 0);
}

#[test]
fn open_errors() {
    let (_lock, fake) = exclusive();

    // No library at that path: the message names it.
    let missing = "/nonexistent/dir/libsteam_api.so";
    let e = Steam::open(config(fake).library_path(missing)).unwrap_err();
    assert_eq!(e.code, ErrorCode::SteamUnavailable, "{e}");
    assert!(e.message.contains(missing), "the path tried is in {:?}", e.message);

    // Steam's own init failure, with Steam's message.
    fake.fail_init("no Steam client is running (double)", 2);
    let e = Steam::open(config(fake)).unwrap_err();
    assert_eq!(e.code, ErrorCode::SteamInitFailed, "{e}");
    assert!(
        e.message.contains("no Steam client is running (double)"),
        "{:?}",
        e.message
    );
    assert!(e.to_string().contains("no Steam client is running (double)"));
    fake.reset();

    // Attaching when nobody initialised Steam.
    let e = Steam::open(SteamConfig::attach_client().library_path(&fake.path)).unwrap_err();
    assert_eq!(e.code, ErrorCode::SteamInitFailed, "{e}");

    // Checks of the binding and of the library.
    let e = Steam::open(config(fake).game_server_version("1\0.1")).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");

    // Nothing open: servers and clients say so.
    let e = Client::steam(SteamClientConfig::ip(STEAM_ADDR)).unwrap_err();
    assert_eq!(e.code, ErrorCode::SteamUnavailable, "{e}");
    let key = generate_key().unwrap();
    let mut server = Server::new(&ServerConfig::new(PROTOCOL, &key)).unwrap();
    let e = server.add_steam(SteamServerConfig::ip(STEAM_ADDR)).unwrap_err();
    assert_eq!(e.code, ErrorCode::SteamUnavailable, "{e}");

    // Bad configs, with Steam open.
    let _steam = Steam::open(config(fake)).unwrap();
    for cfg in [
        SteamServerConfig::ip("not-an-address"),
        SteamServerConfig::ip("127.0.0.1"), // no port
        SteamServerConfig::ip("127.0.0.1:27015\0"),
        SteamServerConfig::ip(STEAM_ADDR).max_payload(MAX_PAYLOAD_SIZE as u32 + 1),
    ] {
        let e = server.add_steam(cfg.clone()).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidArgument, "{cfg:?}: {e}");
    }
    for cfg in [
        SteamClientConfig::ip("not-an-address"),
        SteamClientConfig::ip(STEAM_ADDR).max_payload(MAX_PAYLOAD_SIZE as u32 + 1),
    ] {
        let e = Client::steam(cfg.clone()).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidArgument, "{cfg:?}: {e}");
    }
}

#[test]
fn one_open_per_process_and_reopening() {
    let (_lock, fake) = exclusive();
    let first = Steam::open(config(fake)).unwrap();
    let e = Steam::open(config(fake)).unwrap_err();
    assert_eq!(e.code, ErrorCode::AlreadyActive, "{e}");
    assert!(format!("{first:?}").contains("open: true"));

    // Dropping the guard closes; opening again works.
    drop(first);
    assert_eq!(fake.counter("shutdown"), 1);
    let second = Steam::open(config(fake)).unwrap();
    second.close().unwrap();
    assert_eq!(fake.counter("shutdown"), 2);

    // shutdown() closes Steam too. The stale guard then never closes a later open.
    let stale = Steam::open(config(fake)).unwrap();
    shutdown();
    assert_eq!(fake.counter("shutdown"), 3);
    assert!(format!("{stale:?}").contains("open: false"));
    let current = Steam::open(config(fake)).unwrap();
    drop(stale);
    assert_eq!(fake.counter("shutdown"), 3, "the stale guard closed nothing");
    assert_eq!(Steam::open(config(fake)).unwrap_err().code, ErrorCode::AlreadyActive);
    let _client = Client::steam(SteamClientConfig::ip(STEAM_ADDR)).expect("Steam is still open");
    drop(current);
    assert_eq!(fake.counter("shutdown"), 4);
}

#[test]
fn attach_mode_never_initialises_or_shuts_steam_down() {
    let (_lock, fake) = exclusive();
    fake.preinit(1); // the game (steamworks-rs) initialised Steam as a client
    let steam = Steam::open(SteamConfig::attach_client().library_path(&fake.path)).unwrap();
    assert_eq!(fake.counter("init"), 0);

    let key = generate_key().unwrap();
    let mut server = Server::new(&ServerConfig::new(PROTOCOL, &key)).unwrap();
    server.add_steam(SteamServerConfig::ip(STEAM_ADDR)).unwrap();
    server.start().unwrap();
    let mut client = Client::steam(SteamClientConfig::ip(STEAM_ADDR)).unwrap();
    client.connect().unwrap();
    let (kind, _, _, _) = next_event(&mut server, &mut [&mut client]);
    assert_eq!(kind, "connected");
    drop(client);
    drop(server);
    drop(steam);
    assert_eq!(fake.counter("init"), 0);
    assert_eq!(fake.counter("shutdown"), 0, "attached: Steam stays up for the game");
}

#[test]
fn game_server_init_passes_the_settings() {
    let (_lock, fake) = exclusive();
    let steam = Steam::open(
        SteamConfig::new()
            .flavour(SteamFlavour::Steamworks)
            .library_path(&fake.path)
            .init(SteamInit::GameServer)
            .game_server_ip("10.1.2.3".parse().unwrap())
            .game_port(27015)
            .query_port(27016)
            .game_server_version("2.3.4.5"),
    )
    .unwrap();
    assert_eq!(
        fake.game_server_args(),
        (0x0a01_0203, 27015, 27016, 1, "2.3.4.5".to_string())
    );
    assert_eq!(fake.counter("gs_init"), 1);
    assert_eq!(fake.counter("init"), 0);
    drop(steam);
    assert_eq!(fake.counter("gs_shutdown"), 1);
}

// ESteamNetworkingConfigValue keys of the connection options (steamnetworkingtypes.h).
const CONFIG_SEND_BUFFER_SIZE: i32 = 9;
const CONFIG_SEND_RATE_MIN: i32 = 10;
const CONFIG_SEND_RATE_MAX: i32 = 11;
const CONFIG_IP_ALLOW_WITHOUT_AUTH: i32 = 23;
const CONFIG_TIMEOUT_INITIAL: i32 = 24;
const CONFIG_TIMEOUT_CONNECTED: i32 = 25;

#[test]
fn connection_options_reach_steam() {
    let (_lock, fake) = exclusive();
    let defaults = SteamConfig::new();
    assert_eq!(
        defaults,
        SteamConfig::new().send_buffer_size(0).allow_ip_without_auth(false)
    );

    // Out of range: refused before anything is loaded.
    for (what, cfg) in [
        ("debug level 9", config(fake).debug_output_level(9)),
        (
            "min rate over max",
            config(fake).send_rate_min(2_000_000).send_rate_max(1_000_000),
        ),
        ("timeout over 2^31-1", config(fake).timeout_initial_ms(1 << 31)),
        (
            "connected timeout over 2^31-1",
            config(fake).timeout_connected_ms(u32::MAX),
        ),
        ("buffer over 2^31-1", config(fake).send_buffer_size(1 << 31)),
    ] {
        let e = Steam::open(cfg).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidArgument, "{what}: {e}");
    }

    let steam = Steam::open(
        config(fake)
            .allow_ip_without_auth(true)
            .timeout_initial_ms(1500)
            .timeout_connected_ms(7000)
            .send_rate_min(100_000)
            .send_rate_max(900_000)
            .send_buffer_size(65_536)
            .debug_output_level(4),
    )
    .unwrap();
    assert_eq!(fake.global_config(CONFIG_IP_ALLOW_WITHOUT_AUTH), 2);
    assert_eq!(fake.global_config(CONFIG_TIMEOUT_INITIAL), 1500);
    assert_eq!(fake.global_config(CONFIG_TIMEOUT_CONNECTED), 7000);
    assert_eq!(fake.global_config(CONFIG_SEND_RATE_MIN), 100_000);
    assert_eq!(fake.global_config(CONFIG_SEND_RATE_MAX), 900_000);
    assert_eq!(fake.global_config(CONFIG_SEND_BUFFER_SIZE), 65_536);
    steam.close().unwrap();

    // Not set: Steam keeps its own values.
    fake.reset();
    let _steam = Steam::open(config(fake)).unwrap();
    assert_eq!(fake.global_config(CONFIG_TIMEOUT_INITIAL), 0);
    assert_eq!(fake.global_config(CONFIG_SEND_BUFFER_SIZE), 0);
}

#[test]
fn connection_status_and_its_errors() {
    let (_lock, fake) = exclusive();
    let steam = Steam::open(config(fake)).unwrap();
    let key = generate_key().unwrap();
    let mut server = Server::new(&ServerConfig::new(PROTOCOL, &key).bind("127.0.0.1:0")).unwrap();
    server.start().unwrap();
    let unknown = ClientId::Steam(12345);
    // No Steam backend yet.
    assert_eq!(
        server.connection_status(unknown).unwrap_err().code,
        ErrorCode::UnknownClient
    );
    server.add_steam(SteamServerConfig::ip("127.0.0.1:27018")).unwrap();

    let mut sc = Client::steam(SteamClientConfig::ip("127.0.0.1:27018")).unwrap();
    assert_eq!(
        sc.connection_status().unwrap_err().code,
        ErrorCode::NotConnected,
        "idle"
    );
    let addr = server.address(0).unwrap();
    let mut net = Client::manual(&addr, 4, PROTOCOL, &key, &ClientConfig::new()).unwrap();
    sc.connect().unwrap();
    net.connect().unwrap();
    let id = wait_for(&mut server, &mut [&mut sc, &mut net], "both clients", |s, cs| {
        let ids = s.connected_ids().unwrap();
        (ids.len() == 2 && cs.iter().all(|c| c.state().unwrap() == ClientState::Connected))
            .then(|| ids.into_iter().find(|i| matches!(i, ClientId::Steam(_))).unwrap())
    });

    // The double's made-up status comes through every field it sets.
    let st = server.connection_status(id).unwrap();
    assert!(st.is_connected(), "{st:?}");
    assert_eq!(
        (st.ping_ms, st.send_rate_bytes_per_sec, st.queue_time_us),
        (7, 256_000, 1500),
        "{st:?}"
    );
    assert_eq!((st.quality_local, st.quality_remote), (1.0, 1.0));
    let cst = sc.connection_status().unwrap();
    assert_eq!((cst.state, cst.ping_ms), (3, 7), "{cst:?}");

    for (what, client) in [("netcode", ClientId::Netcode(4)), ("local", ClientId::Local(4))] {
        let e = server.connection_status(client).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidArgument, "{what}: {e}");
    }
    assert_eq!(
        server.connection_status(unknown).unwrap_err().code,
        ErrorCode::UnknownClient
    );
    assert_eq!(net.connection_status().unwrap_err().code, ErrorCode::InvalidArgument);

    // Closing Steam: the Steam client's handle is dead, the server lost its backend.
    steam.close().unwrap();
    assert_eq!(sc.connection_status().unwrap_err().code, ErrorCode::InvalidHandle);
    assert_eq!(server.connection_status(id).unwrap_err().code, ErrorCode::UnknownClient);
}
