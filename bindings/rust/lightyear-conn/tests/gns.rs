//! The safe API over the real, open-source GameNetworkingSockets on 127.0.0.1:
//! `LIGHTYEAR_GNS_LIB` names its `libGameNetworkingSockets.so` (`bash
//! steamworks/testdata/build-gns.sh` builds it). Without it the test prints why and passes
//! without doing anything: GNS is an optional dependency of the test run.
//!
//! Steam is process-wide, so this is a test binary of its own with one test.
#![cfg(target_os = "linux")]

use std::net::UdpSocket;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use lightyear_conn::steam::{Steam, SteamClientConfig, SteamConfig, SteamFlavour, SteamServerConfig};
use lightyear_conn::*;

const DT: f64 = 1.0 / 60.0;
const PROTOCOL: u64 = 0x4C59_474E_5352_5301;
/// GNS 0.3.0 sends 256 KiB/s by default; the status shows the rate set here.
const RATE: u32 = 4 * 1024 * 1024;
const BURST: usize = 10_000;

fn gns_lib() -> Option<PathBuf> {
    let path = PathBuf::from(std::env::var_os("LIGHTYEAR_GNS_LIB").filter(|p| !p.is_empty())?);
    path.is_file().then_some(path)
}

/// A UDP port on 127.0.0.1 that was free a moment ago (GNS listens on a given port).
fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The payload number `i`: 1..=1200 bytes whose content depends on `i`.
fn pattern(i: usize) -> Vec<u8> {
    let size = 1 + (i * 37) % MAX_PAYLOAD_SIZE;
    (0..size).map(|j| (i * 31 + j * 7 + 1) as u8).collect()
}

/// Updates client and server, then calls `f` (which polls what it needs), until it returns
/// true or 10 s of wall time have passed (GNS keeps its own clock).
fn pump_until(
    server: &mut Server,
    client: &mut Client,
    what: &str,
    mut f: impl FnMut(&mut Server, &mut Client) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        client.update(DT).unwrap();
        server.update(DT).unwrap();
        if f(server, client) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Every pending server event, as (client, payload or None for other events, reason).
fn events(server: &mut Server) -> Vec<(ClientId, Option<Vec<u8>>, Option<DisconnectReason>)> {
    let mut out = Vec::new();
    while let Some(ev) = server.poll().unwrap() {
        out.push(match ev {
            Event::Payload { client, data } => (client, Some(data.to_vec()), None),
            Event::Disconnected { client, reason } => (client, None, Some(reason)),
            other => (other.client(), None, None),
        });
    }
    out
}

/// Payloads the client has received.
fn received(client: &mut Client) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(p) = client.receive().unwrap() {
        out.push(p.to_vec());
    }
    out
}

#[test]
fn real_game_networking_sockets() {
    let Some(lib) = gns_lib() else {
        eprintln!(
            "skipped: LIGHTYEAR_GNS_LIB does not name libGameNetworkingSockets.so \
             (bash steamworks/testdata/build-gns.sh builds it)"
        );
        return;
    };
    let gns = || {
        SteamConfig::new()
            .flavour(SteamFlavour::GameNetworkingSockets)
            .library_path(&lib)
            .allow_ip_without_auth(true)
            .timeout_initial_ms(1500)
            .send_rate_min(RATE)
            .send_rate_max(RATE)
    };
    let steam = Steam::open(gns()).unwrap();
    assert_eq!(Steam::open(gns()).unwrap_err().code, ErrorCode::AlreadyActive);

    let key = generate_key().unwrap();
    let mut server = Server::new(&ServerConfig::new(PROTOCOL, &key)).unwrap(); // no netcode socket
    server.start().unwrap();
    let address = format!("127.0.0.1:{}", free_port());
    server.add_steam(SteamServerConfig::ip(&address)).unwrap();
    let mut client = Client::steam(SteamClientConfig::ip(&address)).unwrap();
    client.connect().unwrap();
    pump_until(&mut server, &mut client, "the connection", |s, c| {
        c.is_connected() && s.num_connected().unwrap() == 1
    });
    let id = server.connected_ids().unwrap()[0];
    assert!(matches!(id, ClientId::Steam(_)), "{id:?}");
    let connected = events(&mut server);
    assert_eq!(connected.len(), 1, "one Connected event: {connected:?}");
    assert_eq!(connected[0].0, id);

    // 500 payloads each way, every byte checked, each exactly once and in order.
    let n = 500;
    let mut got: Vec<Vec<u8>> = Vec::new();
    let take = |s: &mut Server, got: &mut Vec<Vec<u8>>| {
        for (from, payload, _) in events(s) {
            assert_eq!(from, id);
            got.push(payload.expect("only payloads"));
        }
    };
    for i in 0..n {
        client.send(&pattern(i)).unwrap();
        if i % 25 == 24 {
            pump_until(&mut server, &mut client, "a step", |s, _| {
                take(s, &mut got);
                true
            });
        }
    }
    pump_until(&mut server, &mut client, "500 payloads at the server", |s, _| {
        take(s, &mut got);
        got.len() >= n
    });
    assert_eq!(got.len(), n);
    for (i, p) in got.iter().enumerate() {
        assert!(*p == pattern(i), "payload {i} at the server ({} bytes)", p.len());
    }
    got.clear();
    for i in 0..n {
        server.send(id, &pattern(1000 + i)).unwrap();
        if i % 25 == 24 {
            pump_until(&mut server, &mut client, "a step", |_, c| {
                got.extend(received(c));
                true
            });
        }
    }
    pump_until(&mut server, &mut client, "500 payloads at the client", |_, c| {
        got.extend(received(c));
        got.len() >= n
    });
    assert_eq!(got.len(), n);
    for (i, p) in got.iter().enumerate() {
        assert!(*p == pattern(1000 + i), "payload {i} at the client ({} bytes)", p.len());
    }
    let too_big = vec![0u8; MAX_PAYLOAD_SIZE + 1];
    assert_eq!(client.send(&too_big).unwrap_err().code, ErrorCode::PayloadSize);

    // Steam's status of both ends, and its errors.
    let st = server.connection_status(id).unwrap();
    assert!(st.is_connected() && (0..1000).contains(&st.ping_ms), "{st:?}");
    assert_eq!(
        st.send_rate_bytes_per_sec, RATE as i32,
        "the rate set in SteamConfig: {st:?}"
    );
    let cst = client.connection_status().unwrap();
    assert!(
        cst.is_connected() && cst.ping_ms >= 0 && cst.queue_time_us >= 0,
        "{cst:?}"
    );
    let ClientId::Steam(raw_id) = id else { unreachable!() };
    assert_eq!(
        server.connection_status(ClientId::Netcode(raw_id)).unwrap_err().code,
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        server.connection_status(ClientId::Steam(raw_id ^ 1)).unwrap_err().code,
        ErrorCode::UnknownClient
    );

    // 10,000 sends of 1,200 bytes with no update between them, from each side: Steam's send
    // buffer takes some, the rest are SendBufferFull (no other error), and every accepted
    // payload arrives.
    let big = vec![0x5Au8; MAX_PAYLOAD_SIZE];
    for from_client in [true, false] {
        let (mut ok, mut full) = (0usize, 0usize);
        let t0 = Instant::now();
        for _ in 0..BURST {
            let r = if from_client {
                client.send(&big)
            } else {
                server.send(id, &big)
            };
            match r {
                Ok(()) => ok += 1,
                Err(e) if e.code == ErrorCode::SendBufferFull => full += 1,
                Err(e) => panic!("a burst send failed otherwise: {e}"),
            }
        }
        let took = t0.elapsed();
        let pending = if from_client {
            client.connection_status()
        } else {
            server.connection_status(id)
        }
        .unwrap();
        println!(
            "burst from the {}: {BURST} sends in {took:?}: {ok} Ok, {full} SendBufferFull; {} bytes pending",
            if from_client { "client" } else { "server" },
            pending.pending_unreliable
        );
        assert!(ok >= 1 && full >= 1, "{ok} Ok, {full} SendBufferFull");
        assert!(pending.pending_unreliable > 0, "{pending:?}");
        let mut arrived = 0;
        pump_until(&mut server, &mut client, "the accepted burst", |s, c| {
            let ps: Vec<Vec<u8>> = if from_client {
                events(s).into_iter().map(|e| e.1.expect("only payloads")).collect()
            } else {
                received(c)
            };
            for p in ps {
                assert!(p == big);
                arrived += 1;
            }
            arrived >= ok
        });
        assert_eq!(arrived, ok);
    }

    // The connection works afterwards; then the client leaves.
    client.send(b"after").unwrap();
    pump_until(&mut server, &mut client, "a payload after the bursts", |s, _| {
        events(s).iter().any(|e| e.1.as_deref() == Some(&b"after"[..]))
    });
    client.disconnect().unwrap();
    let mut reason = None;
    pump_until(&mut server, &mut client, "the disconnect", |s, _| {
        for (from, _, r) in events(s) {
            assert_eq!(from, id);
            reason = reason.or(r);
        }
        reason.is_some()
    });
    assert_eq!(reason, Some(DisconnectReason::Remote));

    steam.close().unwrap();
    assert_eq!(client.connection_status().unwrap_err().code, ErrorCode::InvalidHandle);
}
