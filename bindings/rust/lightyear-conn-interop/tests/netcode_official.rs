//! Interop with netcode-official 1.0.0 (crates.io; library name `netcode`), the upstream Rust
//! port of netcode.io by its author (mas-bandwidth/netcode.rs). Nobody on this team wrote it.
//!
//! Over IPv4 loopback, with simulated time (their API takes absolute seconds, ours takes
//! dt; both are driven here, step by step, with no sleeps):
//! (a) their client connects to our server with a token from our generator;
//! (b) our client connects to their server with a token from their generator;
//! (c) each side parses the other's tokens (IPv4 and IPv6 addresses, expiry, timeout);
//! and the differences written up in ../README.md: token reuse, timeout 0, replays,
//! timeouts.

use std::net::SocketAddr;

use lightyear_conn::{
    Client, ClientConfig, ClientId, ClientState, ConditionerConfig, ConnectToken, DisconnectReason, Event, Key, Server,
    ServerConfig, TokenParams,
};
use netcode::{ClientState as TheirState, DisconnectReason as TheirReason, ServerEvent};

const PROTOCOL: u64 = 0x1122_3344_5566_7788;
const DT: f64 = 0.02;
const CLIENT_ID: u64 = 0x0123_4567_89AB_CDEF;

fn key() -> Key {
    lightyear_conn::generate_key().unwrap()
}

fn user_data() -> [u8; 256] {
    std::array::from_fn(|i| (i * 7 + 3) as u8)
}

/// Payload number `i`: sizes from 1 to 1200 bytes, contents that depend on `i`.
fn payload(i: usize) -> Vec<u8> {
    let len = 1 + (i * 97) % 1200;
    (0..len).map(|j| (i * 31 + j) as u8).collect()
}

fn our_server(key: &Key) -> (Server, SocketAddr) {
    let mut server = Server::new(&ServerConfig::new(PROTOCOL, key).bind("127.0.0.1:0")).unwrap();
    server.start().unwrap();
    let addr = server.address(0).unwrap().parse().unwrap();
    (server, addr)
}

fn their_server(key: &Key, t: f64) -> (netcode::Server, SocketAddr) {
    let mut server = netcode::Server::new("127.0.0.1:0".parse().unwrap(), PROTOCOL, key, t).unwrap();
    server.start(8).unwrap();
    let addr = server.address();
    (server, addr)
}

#[allow(clippy::too_many_arguments)]
fn their_token(addrs: &[SocketAddr], expire: i32, timeout: i32, id: u64, key: &Key) -> [u8; 2048] {
    netcode::generate_connect_token(addrs, addrs, expire, timeout, id, PROTOCOL, key, &user_data()).unwrap()
}

/// Their client against our server: steps both until `done` or `max` steps.
struct TheirClientOurServer {
    t: f64,
    client: netcode::Client,
    server: Server,
}

impl TheirClientOurServer {
    fn new(server: Server) -> Self {
        let client = netcode::Client::new("127.0.0.1:0".parse().unwrap(), 0.0).unwrap();
        TheirClientOurServer { t: 0.0, client, server }
    }

    fn step(&mut self) {
        self.t += DT;
        self.client.update(self.t);
        self.server.update(DT).unwrap();
    }

    /// Steps until the client is connected and the server reported it; returns the id.
    fn handshake(&mut self) -> ClientId {
        let mut id = None;
        for _ in 0..200 {
            self.step();
            while let Some(ev) = self.server.poll().unwrap() {
                match ev {
                    Event::Connected { client } => id = Some(client),
                    other => panic!("unexpected {other:?}"),
                }
            }
            if let Some(id) = id.filter(|_| self.client.state() == TheirState::Connected) {
                return id;
            }
        }
        panic!("no handshake: their client is {:?}", self.client.state());
    }
}

/// Our client against their server.
struct OurClientTheirServer {
    t: f64,
    client: Client,
    server: netcode::Server,
}

impl OurClientTheirServer {
    fn step(&mut self) {
        self.t += DT;
        self.server.update(self.t);
        self.client.update(DT).unwrap();
    }

    fn handshake(&mut self) -> usize {
        let mut index = None;
        for _ in 0..200 {
            self.step();
            while let Some(ev) = self.server.next_event() {
                match ev {
                    ServerEvent::ClientConnected { client_index } => index = Some(client_index),
                    other => panic!("unexpected {other:?}"),
                }
            }
            if let Some(index) = index.filter(|_| self.client.is_connected()) {
                return index;
            }
        }
        panic!("no handshake: our client is {:?}", self.client.state());
    }
}

// ------------------------------------------------------------------------------- (a)

#[test]
fn a_their_client_connects_to_our_server_with_our_token() {
    let key = key();
    let (server, addr) = our_server(&key);
    let token = TokenParams::new(PROTOCOL, CLIENT_ID, &key)
        .public_address(addr.to_string())
        .user_data(&user_data())
        .generate()
        .unwrap();
    let mut p = TheirClientOurServer::new(server);
    p.client.connect(token.as_bytes()).unwrap();
    let id = p.handshake();
    assert_eq!(id, ClientId::Netcode(CLIENT_ID));
    assert_eq!(p.server.client_user_data(id).unwrap(), user_data());
    assert_eq!(p.client.server_address(), Some(addr));

    // Payloads both ways for 8 simulated seconds: longer than the token's 5 s timeout, so
    // keep-alives and payloads must keep both sides alive.
    let (mut sent_up, mut sent_down) = (0, 0);
    let mut got_up = Vec::new();
    let mut got_down = Vec::new();
    let mut buf = vec![0u8; lightyear_conn::MAX_PAYLOAD_SIZE];
    for _ in 0..400 {
        p.client.send_packet(&payload(sent_up)).unwrap();
        sent_up += 1;
        p.server.send(id, &payload(1000 + sent_down)).unwrap();
        sent_down += 1;
        p.step();
        while let Some(ev) = p.server.poll_into(&mut buf).unwrap() {
            match ev {
                Event::Payload { client, data } => {
                    assert_eq!(client, id);
                    got_up.push(data.to_vec());
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        while let Some((data, _seq)) = p.client.receive_packet() {
            got_down.push(data);
        }
    }
    assert_eq!(p.client.state(), TheirState::Connected);
    assert_eq!(got_up.len(), sent_up, "their client -> our server");
    assert_eq!(got_down.len(), sent_down, "our server -> their client");
    for (i, d) in got_up.iter().enumerate() {
        assert_eq!(d, &payload(i));
    }
    for (i, d) in got_down.iter().enumerate() {
        assert_eq!(d, &payload(1000 + i));
    }
    let stats = p.server.client_stats(id).unwrap();
    assert_eq!(stats.dropped(), 0, "{stats:?}");

    // Their graceful disconnect reaches our server.
    p.client.disconnect();
    p.server.update(DT).unwrap();
    assert_eq!(
        p.server.poll().unwrap(),
        Some(Event::Disconnected {
            client: id,
            reason: DisconnectReason::Remote
        })
    );
}

// ------------------------------------------------------------------------------- (b)

#[test]
fn b_our_client_connects_to_their_server_with_their_token() {
    let key = key();
    let (server, addr) = their_server(&key, 0.0);
    let token = their_token(&[addr], 30, 5, CLIENT_ID, &key);
    let client = Client::from_token_bytes(&token, &ClientConfig::new().client_id(CLIENT_ID)).unwrap();
    let mut p = OurClientTheirServer { t: 0.0, client, server };
    p.client.connect().unwrap();
    let index = p.handshake();
    assert_eq!(p.server.client_id(index), CLIENT_ID);
    assert_eq!(p.server.client_user_data(index), Some(&user_data()));

    let (mut sent_up, mut sent_down) = (0, 0);
    let mut got_up = Vec::new();
    let mut got_down = Vec::new();
    for _ in 0..400 {
        p.client.send(&payload(sent_up)).unwrap();
        sent_up += 1;
        p.server.send_packet(index, &payload(1000 + sent_down)).unwrap();
        sent_down += 1;
        p.step();
        while let Some((data, _)) = p.server.receive_packet(index) {
            got_up.push(data);
        }
        while let Some(data) = p.client.receive().unwrap() {
            got_down.push(data.to_vec());
        }
    }
    assert!(p.client.is_connected());
    assert_eq!(got_up.len(), sent_up, "our client -> their server");
    assert_eq!(got_down.len(), sent_down, "their server -> our client");
    for (i, d) in got_up.iter().enumerate() {
        assert_eq!(d, &payload(i));
    }
    for (i, d) in got_down.iter().enumerate() {
        assert_eq!(d, &payload(1000 + i));
    }
    assert_eq!(p.client.stats().unwrap().dropped(), 0);

    // Their server disconnects us: we see Remote.
    p.server.disconnect_client(index);
    p.client.update(DT).unwrap();
    assert_eq!(p.client.state().unwrap(), ClientState::Disconnected);
    assert_eq!(p.client.disconnect_reason().unwrap(), DisconnectReason::Remote);
}

#[test]
fn b_our_graceful_disconnect_reaches_their_server() {
    let key = key();
    let (server, addr) = their_server(&key, 0.0);
    let token = their_token(&[addr], 30, 5, 9, &key);
    let client = Client::from_token_bytes(&token, &ClientConfig::new()).unwrap();
    let mut p = OurClientTheirServer { t: 0.0, client, server };
    p.client.connect().unwrap();
    let index = p.handshake();
    p.client.disconnect().unwrap();
    p.t += DT;
    p.server.update(p.t);
    assert_eq!(
        p.server.next_event(),
        Some(ServerEvent::ClientDisconnected {
            client_index: index,
            reason: TheirReason::ClientDisconnect
        })
    );
}

// ------------------------------------------------------------------------------- (c)

fn addresses() -> Vec<SocketAddr> {
    [
        "127.0.0.1:40000",
        "[::1]:40001",
        "[2001:db8:85a3::8a2e:370:7334]:443",
        "[fe80::1:2:3:4]:65535",
        "10.1.2.3:1",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect()
}

#[test]
fn c_our_parser_reads_their_tokens() {
    let key = key();
    let addrs = addresses();
    let token = their_token(&addrs, 45, 7, CLIENT_ID, &key);
    let ours = ConnectToken::from_bytes(&token).unwrap();
    let info = ours.info().unwrap();
    assert_eq!(info.protocol_id, PROTOCOL);
    assert_eq!(info.expire_timestamp - info.create_timestamp, 45);
    assert_eq!(info.timeout_seconds, 7);
    assert_eq!(info.num_addresses as usize, addrs.len());
    let read: Vec<SocketAddr> = ours.addresses().unwrap().iter().map(|a| a.parse().unwrap()).collect();
    assert_eq!(read, addrs, "IPv6 groups must decode the same on both sides");

    // Never expires, never times out.
    let forever = ConnectToken::from_bytes(&their_token(&addrs[..1], -1, -1, 1, &key))
        .unwrap()
        .info()
        .unwrap();
    assert!(forever.never_expires());
    assert_eq!(forever.timeout_seconds, -1);
    assert_eq!(forever.timeout(), None);

    // The maximum, 32 addresses.
    let many: Vec<SocketAddr> = (0..32)
        .map(|i| SocketAddr::from(([10, 0, 0, i as u8], 1000 + i)))
        .collect();
    let t = ConnectToken::from_bytes(&their_token(&many, 30, 5, 1, &key)).unwrap();
    let read: Vec<SocketAddr> = t.addresses().unwrap().iter().map(|a| a.parse().unwrap()).collect();
    assert_eq!(read, many);
}

#[test]
fn c_their_parser_reads_our_tokens() {
    let key = key();
    let addrs = addresses();
    // One token per address, that address first: their client's server_address() shows
    // how their parser decoded it.
    for (i, first) in addrs.iter().enumerate() {
        let mut list = vec![first.to_string()];
        list.extend(
            addrs
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, a)| a.to_string()),
        );
        let token = TokenParams::new(PROTOCOL, 1, &key)
            .public_addresses(list)
            .generate()
            .unwrap();
        let bind: SocketAddr = if first.is_ipv4() { "127.0.0.1:0" } else { "[::1]:0" }.parse().unwrap();
        let Ok(mut client) = netcode::Client::new(bind, 0.0) else {
            eprintln!("cannot bind {bind}; skipped {first}");
            continue;
        };
        client.connect(token.as_bytes()).unwrap();
        assert_eq!(client.server_address(), Some(*first));
    }

    // The bytes of an IPv6 address in our token, per NETCODE.md: 0x02, then each group as
    // a little-endian u16, then the port (public part: addresses start at offset 1093).
    let token = TokenParams::new(PROTOCOL, 1, &key)
        .public_address("[2001:db8::1]:40000")
        .generate()
        .unwrap();
    let b = &token.as_bytes()[1093..1093 + 19];
    assert_eq!(b[0], 0x02);
    assert_eq!(
        &b[1..5],
        &[0x01, 0x20, 0xb8, 0x0d],
        "2001 and db8 as little-endian groups"
    );
    assert_eq!(&b[15..17], &[0x01, 0x00], "the last group, 1");
    assert_eq!(&b[17..19], &40000u16.to_le_bytes());

    // A never-expiring token of ours: their client neither refuses it nor gives up on it.
    let (server, addr) = our_server(&key);
    let token = TokenParams::new(PROTOCOL, 2, &key)
        .public_address(addr.to_string())
        .never_expires()
        .generate()
        .unwrap();
    let mut p = TheirClientOurServer::new(server);
    p.client.connect(token.as_bytes()).unwrap();
    assert_eq!(p.handshake(), ClientId::Netcode(2));
}

#[test]
fn c_their_never_expiring_token_connects_our_client() {
    let key = key();
    let (server, addr) = their_server(&key, 0.0);
    let token = their_token(&[addr], -1, 5, 3, &key);
    let client = Client::from_token_bytes(&token, &ClientConfig::new()).unwrap();
    let mut p = OurClientTheirServer { t: 0.0, client, server };
    p.client.connect().unwrap();
    p.handshake();
}

// ------------------------------------------------------------------------------- differences

/// netcode 1.4.5 (ours): a completed handshake consumes a token, from any address.
/// netcode-official 1.0 follows the older rule: a token already seen is accepted again from
/// the same address. So the same token reconnects to their server but not to ours.
#[test]
fn token_reuse_after_a_completed_handshake() {
    let key = key();

    // Their client, our server: the second use of the token is dropped.
    let (server, addr) = our_server(&key);
    let token = TokenParams::new(PROTOCOL, 21, &key)
        .public_address(addr.to_string())
        .generate()
        .unwrap();
    let mut p = TheirClientOurServer::new(server);
    p.client.connect(token.as_bytes()).unwrap();
    p.handshake();
    p.client.disconnect();
    p.step();
    assert!(matches!(p.server.poll().unwrap(), Some(Event::Disconnected { .. })));
    let rejected_before = p.server.stats().unwrap().dropped_rejected;
    p.client.connect(token.as_bytes()).unwrap();
    for _ in 0..400 {
        p.step();
        assert_eq!(p.server.poll().unwrap(), None);
        if p.client.state().is_error() {
            break;
        }
    }
    assert_eq!(p.client.state(), TheirState::ConnectionRequestTimedOut);
    assert!(p.server.stats().unwrap().dropped_rejected > rejected_before);

    // Our client, their server: the same token connects again (same socket, same address).
    let (server, addr) = their_server(&key, 0.0);
    let token = their_token(&[addr], 30, 5, 22, &key);
    let client = Client::from_token_bytes(&token, &ClientConfig::new()).unwrap();
    let mut p = OurClientTheirServer { t: 0.0, client, server };
    p.client.connect().unwrap();
    p.handshake();
    let port = p.client.local_address().unwrap();
    p.client.disconnect().unwrap();
    p.step();
    assert!(matches!(
        p.server.next_event(),
        Some(ServerEvent::ClientDisconnected { .. })
    ));
    p.client.connect().unwrap();
    p.handshake();
    assert_eq!(
        p.client.local_address().unwrap(),
        port,
        "our client keeps its socket across connects"
    );
}

/// timeout_seconds = 0. Our library (and NETCODE.md) read <= 0 as "no timeout". Their
/// server, like the reference C implementation, gives the pending client's address->key
/// mapping an expiry of `now + timeout`: with 0 it has expired by the next update, so the
/// connection response is dropped and the handshake never completes. Their client and our
/// server both treat 0 as "no timeout" and connect fine. Use -1 for "never".
#[test]
fn timeout_zero_tokens() {
    let key = key();

    // Our token with timeout 0, their client, our server: connects.
    let (server, addr) = our_server(&key);
    let token = TokenParams::new(PROTOCOL, 31, &key)
        .public_address(addr.to_string())
        .timeout_seconds(0)
        .generate()
        .unwrap();
    let mut p = TheirClientOurServer::new(server);
    p.client.connect(token.as_bytes()).unwrap();
    p.handshake();
    // ...and neither side times out while the other is quiet for a while.
    for _ in 0..500 {
        p.t += DT;
        p.client.update(p.t);
    }
    assert_eq!(p.client.state(), TheirState::Connected);

    // Their token with timeout 0, our client, their server: never connects.
    let (server, addr) = their_server(&key, 0.0);
    let token = their_token(&[addr], 30, 0, 32, &key);
    let client = Client::from_token_bytes(&token, &ClientConfig::new()).unwrap();
    let mut p = OurClientTheirServer { t: 0.0, client, server };
    p.client.connect().unwrap();
    let mut states = Vec::new();
    for _ in 0..250 {
        p.step();
        let s = p.client.state().unwrap();
        if states.last() != Some(&s) {
            states.push(s);
        }
        assert!(
            p.server.next_event().is_none(),
            "their server connected a timeout-0 client"
        );
    }
    // We got their challenge, but our response (sent at a later time) finds no mapping.
    assert_eq!(
        states,
        vec![
            ClientState::SendingConnectionRequest,
            ClientState::SendingConnectionResponse
        ]
    );
    assert_eq!(p.server.num_connected_clients(), 0);

    // Not an interop problem: their own client cannot connect to their server with such a
    // token either.
    let (mut server, addr) = their_server(&key, 0.0);
    let mut t = 0.0;
    let mut client = netcode::Client::new("127.0.0.1:0".parse().unwrap(), t).unwrap();
    client.connect(&their_token(&[addr], 30, 0, 34, &key)).unwrap();
    for _ in 0..250 {
        t += DT;
        client.update(t);
        server.update(t);
        assert_ne!(client.state(), TheirState::Connected);
    }
    assert_eq!(server.num_connected_clients(), 0);

    // The same with -1: connects.
    let (server, addr) = their_server(&key, 0.0);
    let token = their_token(&[addr], 30, -1, 33, &key);
    let client = Client::from_token_bytes(&token, &ClientConfig::new()).unwrap();
    let mut p = OurClientTheirServer { t: 0.0, client, server };
    p.client.connect().unwrap();
    p.handshake();
}

/// Every datagram delivered twice (our link conditioner, `duplicate = 1`): both replay
/// windows drop the copies, so each payload arrives exactly once.
#[test]
fn duplicated_datagrams_are_dropped_by_both_replay_windows() {
    let key = key();
    let twice = ConditionerConfig {
        duplicate: 1.0,
        seed: 1,
        ..Default::default()
    };

    // Their client -> our server, doubled on our server's receive side.
    let (server, addr) = our_server(&key);
    server.set_conditioner(None, Some(&twice)).unwrap();
    let token = TokenParams::new(PROTOCOL, 41, &key)
        .public_address(addr.to_string())
        .generate()
        .unwrap();
    let mut p = TheirClientOurServer::new(server);
    p.client.connect(token.as_bytes()).unwrap();
    let id = p.handshake();
    let mut got = 0;
    for i in 0..50 {
        p.client.send_packet(&payload(i)).unwrap();
        p.step();
        while let Some(ev) = p.server.poll().unwrap() {
            assert!(matches!(ev, Event::Payload { data, .. } if data == payload(got)));
            got += 1;
        }
    }
    p.step();
    while p.server.poll().unwrap().is_some() {
        got += 1;
    }
    assert_eq!(got, 50);
    assert!(p.server.client_stats(id).unwrap().dropped_replayed >= 50);

    // Our client -> their server, doubled on our client's send side.
    let (server, addr) = their_server(&key, 0.0);
    let token = their_token(&[addr], 30, 5, 42, &key);
    let client = Client::from_token_bytes(&token, &ClientConfig::new()).unwrap();
    client.set_conditioner(Some(&twice), None).unwrap();
    let mut p = OurClientTheirServer { t: 0.0, client, server };
    p.client.connect().unwrap();
    let index = p.handshake();
    let mut got = Vec::new();
    for i in 0..50 {
        p.client.send(&payload(i)).unwrap();
        p.step();
        while let Some((d, _)) = p.server.receive_packet(index) {
            got.push(d);
        }
    }
    p.step();
    while let Some((d, _)) = p.server.receive_packet(index) {
        got.push(d);
    }
    assert_eq!(got.len(), 50);
    assert!(got.iter().enumerate().all(|(i, d)| *d == payload(i)));

    // Control: the same send-side conditioner towards our own server doubles every
    // datagram (our server counts the copies it drops; their server has no counters).
    let (mut server, addr) = our_server(&key);
    let token = TokenParams::new(PROTOCOL, 43, &key)
        .public_address(addr.to_string())
        .generate()
        .unwrap();
    let mut client = Client::new(&token, &ClientConfig::new()).unwrap();
    client.set_conditioner(Some(&twice), None).unwrap();
    client.connect().unwrap();
    for _ in 0..100 {
        client.update(DT).unwrap();
        server.update(DT).unwrap();
        if client.is_connected() {
            break;
        }
    }
    for i in 0..50 {
        client.send(&payload(i)).unwrap();
        client.update(DT).unwrap();
        server.update(DT).unwrap();
    }
    assert!(
        server.stats().unwrap().dropped_replayed >= 50,
        "{:?}",
        server.stats().unwrap()
    );
}

/// The timeout in the token applies across implementations: a peer that goes quiet is
/// timed out after the token's 5 s on either side.
#[test]
fn quiet_peers_time_out_after_the_token_timeout() {
    let key = key();

    // Their server goes quiet: our client gives up after 5 s.
    let (server, addr) = their_server(&key, 0.0);
    let token = their_token(&[addr], 30, 5, 51, &key);
    let client = Client::from_token_bytes(&token, &ClientConfig::new()).unwrap();
    let mut p = OurClientTheirServer { t: 0.0, client, server };
    p.client.connect().unwrap();
    p.handshake();
    let mut quiet = 0.0;
    while p.client.is_connected() && quiet < 10.0 {
        p.client.update(DT).unwrap();
        quiet += DT;
    }
    assert_eq!(p.client.state().unwrap(), ClientState::ConnectionTimedOut);
    assert!((5.0..5.1).contains(&quiet), "{quiet}");

    // Our server goes quiet: their client gives up after 5 s.
    let (server, addr) = our_server(&key);
    let token = TokenParams::new(PROTOCOL, 52, &key)
        .public_address(addr.to_string())
        .generate()
        .unwrap();
    let mut p = TheirClientOurServer::new(server);
    p.client.connect(token.as_bytes()).unwrap();
    p.handshake();
    let start = p.t;
    while p.client.state() == TheirState::Connected && p.t - start < 10.0 {
        p.t += DT;
        p.client.update(p.t);
    }
    assert_eq!(p.client.state(), TheirState::ConnectionTimedOut);
    assert!((5.0..5.1).contains(&(p.t - start)), "{}", p.t - start);
}

/// (a) and (b) once more over IPv6 loopback, when the machine has it: the addresses in the
/// tokens are IPv6 and must decode to the right server on both sides.
#[test]
fn ipv6_loopback_both_directions_if_available() {
    if std::net::UdpSocket::bind("[::1]:0").is_err() {
        eprintln!("no IPv6 loopback here; skipped");
        return;
    }
    let key = key();

    // Their client, our server on [::1].
    let mut server = Server::new(&ServerConfig::new(PROTOCOL, &key).bind("[::1]:0")).unwrap();
    server.start().unwrap();
    let addr: SocketAddr = server.address(0).unwrap().parse().unwrap();
    assert!(addr.is_ipv6());
    let token = TokenParams::new(PROTOCOL, 61, &key)
        .public_address(addr.to_string())
        .generate()
        .unwrap();
    let client = netcode::Client::new("[::1]:0".parse().unwrap(), 0.0).unwrap();
    let mut p = TheirClientOurServer { t: 0.0, client, server };
    p.client.connect(token.as_bytes()).unwrap();
    let id = p.handshake();
    p.client.send_packet(b"v6 up").unwrap();
    p.server.send(id, b"v6 down").unwrap();
    p.step();
    assert!(matches!(
        p.server.poll().unwrap(),
        Some(Event::Payload { data: b"v6 up", .. })
    ));
    assert_eq!(p.client.receive_packet().map(|x| x.0), Some(b"v6 down".to_vec()));

    // Our client, their server on [::1].
    let mut server = netcode::Server::new("[::1]:0".parse().unwrap(), PROTOCOL, &key, 0.0).unwrap();
    server.start(4).unwrap();
    let addr = server.address();
    let token = their_token(&[addr], 30, 5, 62, &key);
    let client = Client::from_token_bytes(&token, &ClientConfig::new()).unwrap();
    let mut p = OurClientTheirServer { t: 0.0, client, server };
    p.client.connect().unwrap();
    let index = p.handshake();
    p.client.send(b"v6 up").unwrap();
    p.server.send_packet(index, b"v6 down").unwrap();
    p.step();
    assert_eq!(p.server.receive_packet(index).map(|x| x.0), Some(b"v6 up".to_vec()));
    assert_eq!(p.client.receive().unwrap(), Some(&b"v6 down"[..]));
}

/// A full server answers with a denied packet (sealed with the global sequence) that the
/// other implementation's client understands.
#[test]
fn full_servers_deny_the_other_side_s_clients() {
    let key = key();

    // Our server with room for one: their second client is denied.
    let mut server = Server::new(&ServerConfig::new(PROTOCOL, &key).bind("127.0.0.1:0").max_clients(1)).unwrap();
    server.start().unwrap();
    let addr = server.address(0).unwrap();
    let mut first = Client::new(
        &TokenParams::new(PROTOCOL, 71, &key)
            .public_address(&addr)
            .generate()
            .unwrap(),
        &ClientConfig::new(),
    )
    .unwrap();
    first.connect().unwrap();
    for _ in 0..100 {
        first.update(DT).unwrap();
        server.update(DT).unwrap();
    }
    assert!(first.is_connected());
    let token = TokenParams::new(PROTOCOL, 72, &key)
        .public_address(&addr)
        .generate()
        .unwrap();
    let mut p = TheirClientOurServer::new(server);
    p.client.connect(token.as_bytes()).unwrap();
    for _ in 0..100 {
        first.update(DT).unwrap();
        p.step();
        if p.client.state().is_error() {
            break;
        }
    }
    assert_eq!(p.client.state(), TheirState::ConnectionDenied);

    // Their server with one slot: our second client is denied.
    let (mut server, addr) = their_server(&key, 0.0);
    server.start(1).unwrap();
    let mut t = 0.0;
    let mut first = netcode::Client::new("127.0.0.1:0".parse().unwrap(), t).unwrap();
    first.connect(&their_token(&[addr], 30, 5, 73, &key)).unwrap();
    for _ in 0..100 {
        t += DT;
        first.update(t);
        server.update(t);
    }
    assert_eq!(first.state(), TheirState::Connected);
    let mut ours = Client::from_token_bytes(&their_token(&[addr], 30, 5, 74, &key), &ClientConfig::new()).unwrap();
    ours.connect().unwrap();
    for _ in 0..100 {
        t += DT;
        first.update(t);
        server.update(t);
        ours.update(DT).unwrap();
        if ours.state().unwrap().is_error() {
            break;
        }
    }
    assert_eq!(ours.state().unwrap(), ClientState::ConnectionDenied);
    assert_eq!(ours.disconnect_reason().unwrap(), DisconnectReason::Denied);
}

/// API differences that are not on the wire (see the README).
#[test]
fn api_differences() {
    let key = key();
    // Their client's send_packet while not connected: Ok, nothing sent. Ours: NotConnected.
    let mut theirs = netcode::Client::new("127.0.0.1:0".parse().unwrap(), 0.0).unwrap();
    assert!(theirs.send_packet(b"x").is_ok());
    let token = TokenParams::new(PROTOCOL, 1, &key)
        .public_address("127.0.0.1:9")
        .generate()
        .unwrap();
    let ours = Client::new(&token, &ClientConfig::new()).unwrap();
    assert_eq!(
        ours.send(b"x").unwrap_err().code,
        lightyear_conn::ErrorCode::NotConnected
    );
    // Their servers take 1..=256 clients; ours up to 1048576.
    let (mut server, _) = their_server(&key, 0.0);
    assert!(server.start(257).is_err());
    let mut big = Server::new(
        &ServerConfig::new(PROTOCOL, &key)
            .bind("127.0.0.1:0")
            .max_clients(100_000),
    )
    .unwrap();
    big.start().unwrap();
    assert_eq!(big.max_clients().unwrap(), 100_000);
}
