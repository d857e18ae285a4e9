//! The safe API against the real library: netcode over loopback (IPv4, IPv6 when the machine
//! has it), local clients, batches, errors, tokens, the conditioner and stats. Time is
//! driven explicitly; every loop is bounded.

use lightyear_conn::*;

const PROTOCOL: u64 = 0x4C59_5255_5354_0001;
const DT: f64 = 1.0 / 60.0;

fn key() -> Key {
    generate_key().unwrap()
}

fn server_on(addr: &str, key: &Key) -> Server {
    let mut s = Server::new(&ServerConfig::new(PROTOCOL, key).bind(addr)).unwrap();
    s.start().unwrap();
    s
}

/// Updates both sides until `done` or `max` steps; returns whether it got done.
fn pump(
    server: &mut Server,
    client: &mut Client,
    max: usize,
    mut done: impl FnMut(&mut Server, &mut Client) -> bool,
) -> bool {
    for _ in 0..max {
        client.update(DT).unwrap();
        server.update(DT).unwrap();
        if done(server, client) {
            return true;
        }
    }
    false
}

/// A server on `bind`, a netcode client for `client_id` connected to it; the server's
/// Connected event already taken.
fn connected_pair(bind: &str, client_id: u64, user_data: &[u8]) -> (Server, Client) {
    let key = key();
    let mut server = server_on(bind, &key);
    let addr = server.address(0).unwrap();
    let token = TokenParams::new(PROTOCOL, client_id, &key)
        .public_address(&addr)
        .user_data(user_data)
        .generate()
        .unwrap();
    let mut client = Client::new(&token, &ClientConfig::new().client_id(client_id)).unwrap();
    client.connect().unwrap();
    let mut connected = false;
    assert!(pump(&mut server, &mut client, 300, |s, c| {
        while let Some(ev) = s.poll().unwrap() {
            assert_eq!(
                ev,
                Event::Connected {
                    client: ClientId::Netcode(client_id)
                }
            );
            connected = true;
        }
        connected && c.is_connected()
    }));
    (server, client)
}

#[test]
fn netcode_echo_over_ipv4_loopback() {
    let (mut server, mut client) = connected_pair("127.0.0.1:0", 77, b"hello user data");
    let id = ClientId::Netcode(77);
    assert_eq!(client.id().unwrap(), id);
    assert_eq!(client.state().unwrap(), ClientState::Connected);
    assert_eq!(client.disconnect_reason().unwrap(), DisconnectReason::None);
    assert_eq!(server.connected_ids().unwrap(), vec![id]);
    assert_eq!(server.num_connected().unwrap(), 1);
    assert_eq!(server.max_clients().unwrap(), 256);
    let user = server.client_user_data(id).unwrap();
    assert_eq!(&user[..15], b"hello user data");
    assert!(user[15..].iter().all(|&b| b == 0));
    // The client binds the unspecified address: compare ports.
    let local = client.local_address().unwrap().expect("a socket is open");
    let seen = server.client_address(id).unwrap();
    assert!(seen.starts_with("127.0.0.1:"), "{seen}");
    assert_eq!(seen.rsplit(':').next(), local.rsplit(':').next(), "{seen} vs {local}");

    // Client -> server -> (echo) -> client, 20 payloads of different sizes.
    let mut buf = vec![0u8; MAX_PAYLOAD_SIZE];
    let mut echoed = 0;
    let mut received = Vec::new();
    for i in 0..20usize {
        let payload: Vec<u8> = (0..(1 + i * 60).min(MAX_PAYLOAD_SIZE)).map(|b| (b + i) as u8).collect();
        client.send(&payload).unwrap();
        client.update(DT).unwrap();
        server.update(DT).unwrap();
        while let Some(ev) = server.poll_into(&mut buf).unwrap() {
            match ev {
                Event::Payload { client: from, data } => {
                    assert_eq!(from, id);
                    server.send(from, data).unwrap(); // the event borrows buf, not the server
                    echoed += 1;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        client.update(DT).unwrap();
        while let Some(p) = client.receive().unwrap() {
            received.push(p.to_vec());
        }
        assert_eq!(received.last().unwrap(), &payload);
    }
    assert_eq!(echoed, 20);
    assert_eq!(received.len(), 20);

    let cs = client.stats().unwrap();
    let ss = server.stats().unwrap();
    let per = server.client_stats(id).unwrap();
    assert!(cs.packets_sent >= 20 && cs.packets_received >= 20, "{cs:?}");
    assert!(
        ss.packets_received >= 20 && per.packets_received >= 20,
        "{ss:?} {per:?}"
    );
    assert_eq!(ss.dropped(), 0);

    // The client leaves: the server sees Remote.
    client.disconnect().unwrap();
    assert_eq!(client.state().unwrap(), ClientState::Disconnected);
    assert_eq!(client.disconnect_reason().unwrap(), DisconnectReason::Local);
    server.update(DT).unwrap();
    assert_eq!(
        server.poll().unwrap(),
        Some(Event::Disconnected {
            client: id,
            reason: DisconnectReason::Remote
        })
    );
    assert_eq!(server.num_connected().unwrap(), 0);
}

#[test]
fn netcode_echo_over_ipv6_loopback_if_available() {
    if std::net::UdpSocket::bind("[::1]:0").is_err() {
        eprintln!("no IPv6 loopback here; skipped");
        return;
    }
    let (mut server, mut client) = connected_pair("[::1]:0", 6, &[]);
    assert!(server.address(0).unwrap().starts_with("[::1]:"));
    client.send(b"over v6").unwrap();
    let mut got = None;
    assert!(pump(&mut server, &mut client, 60, |s, _| {
        if let Some(Event::Payload { data, .. }) = s.poll().unwrap() {
            got = Some(data.to_vec());
        }
        got.is_some()
    }));
    assert_eq!(got.unwrap(), b"over v6");
    server.send(ClientId::Netcode(6), b"back").unwrap();
    client.update(DT).unwrap();
    assert_eq!(client.receive().unwrap(), Some(&b"back"[..]));
}

#[test]
fn server_side_disconnect_and_stop() {
    let (mut server, mut client) = connected_pair("127.0.0.1:0", 5, &[]);
    server.disconnect(ClientId::Netcode(5)).unwrap();
    assert_eq!(
        server.poll().unwrap(),
        Some(Event::Disconnected {
            client: ClientId::Netcode(5),
            reason: DisconnectReason::Local
        })
    );
    client.update(DT).unwrap();
    assert_eq!(client.state().unwrap(), ClientState::Disconnected);
    assert_eq!(client.disconnect_reason().unwrap(), DisconnectReason::Remote);

    // A local client, then stop: ServerStopped for it.
    let mut local = server.connect_local(9).unwrap();
    assert_eq!(
        server.poll().unwrap(),
        Some(Event::Connected {
            client: ClientId::Local(9)
        })
    );
    server.stop().unwrap();
    assert!(!server.is_running().unwrap());
    assert_eq!(
        server.poll().unwrap(),
        Some(Event::Disconnected {
            client: ClientId::Local(9),
            reason: DisconnectReason::ServerStopped
        })
    );
    local.update(DT).unwrap();
    assert!(!local.is_connected());
    assert_eq!(server.update(DT).unwrap_err().code, ErrorCode::NotRunning);
}

#[test]
fn client_times_out_when_the_server_goes_quiet() {
    let (mut server, mut client) = connected_pair("127.0.0.1:0", 8, &[]);
    // The server stops updating: nothing reaches the client for the token's 5 s timeout.
    let mut steps = 0;
    while client.is_connected() && steps < 600 {
        client.update(DT).unwrap();
        steps += 1;
    }
    assert_eq!(client.state().unwrap(), ClientState::ConnectionTimedOut);
    assert_eq!(client.disconnect_reason().unwrap(), DisconnectReason::TimedOut);
    let seconds = steps as f64 * DT;
    assert!((5.0..5.2).contains(&seconds), "timed out after {seconds} s");
    // And the server, driven alone past its timeout, times the client out too.
    let mut ev = None;
    for _ in 0..600 {
        server.update(DT).unwrap();
        if let Some(Event::Disconnected { client, reason }) = server.poll().unwrap() {
            ev = Some((client, reason));
            break;
        }
    }
    assert_eq!(ev, Some((ClientId::Netcode(8), DisconnectReason::TimedOut)));
}

#[test]
fn local_clients_and_batches() {
    let key = key();
    // No bind address: no socket at all, local clients only.
    let mut server = Server::new(&ServerConfig::new(PROTOCOL, &key)).unwrap();
    server.start().unwrap();
    assert!(server.addresses().unwrap().is_empty());
    let mut a = server.connect_local(1).unwrap();
    let b = server.connect_local(2).unwrap();
    assert!(a.is_connected() && b.is_connected());
    assert_eq!(a.id().unwrap(), ClientId::Local(1));
    assert_eq!(a.local_address().unwrap(), None);
    // The same id twice is refused.
    assert_eq!(server.connect_local(1).unwrap_err().code, ErrorCode::InvalidArgument);

    for i in 0..50u8 {
        a.send(&vec![i; 1 + i as usize * 20]).unwrap();
        b.send(&[100 + i]).unwrap();
    }
    server.update(DT).unwrap();

    // A small batch buffer: 4 events, room for 2 full payloads, so batches stop early and
    // the rest stays queued, in order.
    let mut events = EventBuffer::with_capacity(4, 2 * MAX_PAYLOAD_SIZE);
    let mut seen = Vec::new();
    let mut batches = 0;
    loop {
        let batch = server.poll_batch(&mut events).unwrap();
        if batch.is_empty() {
            break;
        }
        assert!(batch.len() <= 4);
        batches += 1;
        for ev in batch {
            match ev {
                Event::Connected { client } => seen.push((client, vec![])),
                Event::Payload { client, data } => {
                    server.send(client, data).unwrap(); // echo while iterating
                    seen.push((client, data.to_vec()));
                }
                other => panic!("{other:?}"),
            }
        }
    }
    assert!(batches >= 26, "{batches} batches");
    assert_eq!(seen.len(), 2 + 100);
    assert_eq!(seen[0], (ClientId::Local(1), vec![]));
    assert_eq!(seen[1], (ClientId::Local(2), vec![]));
    let from_a: Vec<_> = seen
        .iter()
        .filter(|(c, d)| *c == ClientId::Local(1) && !d.is_empty())
        .map(|x| x.1.clone())
        .collect();
    assert_eq!(from_a.len(), 50);
    for (i, d) in from_a.iter().enumerate() {
        assert_eq!(d, &vec![i as u8; 1 + i * 20]);
    }

    // Echoes came back to each local client.
    a.update(DT).unwrap();
    let mut n = 0;
    while let Some(p) = a.receive().unwrap() {
        assert_eq!(p, &vec![n as u8; 1 + n * 20][..]);
        n += 1;
    }
    assert_eq!(n, 50);

    // Broadcast reaches both.
    server.broadcast(b"all").unwrap();
    let mut buf = [0u8; 16];
    // (The echoes of b's 50 one-byte payloads are queued first: b never updated yet.)
    let mut last = Vec::new();
    while let Some(n) = b.receive_into(&mut buf).unwrap() {
        last = buf[..n].to_vec();
    }
    assert_eq!(last, b"all");
    a.update(DT).unwrap();
    assert_eq!(a.receive().unwrap(), Some(&b"all"[..]));

    // A local client disconnecting.
    a.disconnect().unwrap();
    assert_eq!(
        server.poll().unwrap(),
        Some(Event::Disconnected {
            client: ClientId::Local(1),
            reason: DisconnectReason::Remote
        })
    );
    // Reconnect it.
    a.connect().unwrap();
    assert_eq!(
        server.poll().unwrap(),
        Some(Event::Connected {
            client: ClientId::Local(1)
        })
    );
}

#[test]
fn too_small_buffers_lose_nothing() {
    let key = key();
    let mut server = Server::new(&ServerConfig::new(PROTOCOL, &key)).unwrap();
    server.start().unwrap();
    let client = server.connect_local(3).unwrap();
    assert!(matches!(server.poll().unwrap(), Some(Event::Connected { .. })));
    client.send(&[7u8; 300]).unwrap();

    let mut small = [0u8; 100];
    let err = server.poll_into(&mut small).unwrap_err();
    assert_eq!(err.code, ErrorCode::BufferTooSmall);
    assert!(
        err.message.contains("300"),
        "the library's message says the size: {err}"
    );
    // Still queued: a big enough buffer gets it.
    let mut big = [0u8; 300];
    assert_eq!(
        server.poll_into(&mut big).unwrap(),
        Some(Event::Payload {
            client: ClientId::Local(3),
            data: &[7u8; 300][..]
        })
    );

    // The same on the client side.
    server.send(ClientId::Local(3), &[9u8; 200]).unwrap();
    let err = client.receive_into(&mut small).unwrap_err();
    assert_eq!(err.code, ErrorCode::BufferTooSmall);
    let mut big = [0u8; MAX_PAYLOAD_SIZE];
    assert_eq!(client.receive_into(&mut big).unwrap(), Some(200));
}

#[test]
fn errors_carry_the_library_message() {
    let key = key();
    // A malformed bind address: InvalidArgument, and ly_last_error says which.
    let err = Server::new(&ServerConfig::new(PROTOCOL, &key).bind("not-an-address")).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidArgument);
    assert!(err.message.contains("not-an-address"), "{err}");
    assert_ne!(err.message, ErrorCode::InvalidArgument.description());

    // NUL bytes are caught by the binding.
    let err = Server::new(&ServerConfig::new(PROTOCOL, &key).bind("1.2.3.4:5\0")).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidArgument);

    let mut server = Server::new(&ServerConfig::new(PROTOCOL, &key).bind("127.0.0.1:0")).unwrap();
    assert_eq!(server.update(DT).unwrap_err().code, ErrorCode::NotRunning);
    assert_eq!(server.address(0).unwrap_err().code, ErrorCode::NotRunning);
    server.start().unwrap();
    assert_eq!(server.start().unwrap_err().code, ErrorCode::AlreadyActive);
    assert_eq!(server.update(-1.0).unwrap_err().code, ErrorCode::InvalidArgument);
    assert_eq!(server.update(f64::NAN).unwrap_err().code, ErrorCode::InvalidArgument);
    assert_eq!(
        server.send(ClientId::Netcode(1), b"x").unwrap_err().code,
        ErrorCode::UnknownClient
    );
    assert_eq!(
        server.send(ClientId::Netcode(1), b"").unwrap_err().code,
        ErrorCode::PayloadSize
    );
    assert_eq!(
        server.broadcast(&[0u8; MAX_PAYLOAD_SIZE + 1]).unwrap_err().code,
        ErrorCode::PayloadSize
    );
    assert_eq!(
        server.disconnect(ClientId::Steam(1)).unwrap_err().code,
        ErrorCode::UnknownClient
    );
    assert_eq!(server.address(5).unwrap_err().code, ErrorCode::InvalidArgument);

    // Binding a port in use: Socket, with the address in the message.
    let taken = server.address(0).unwrap();
    let mut second = Server::new(&ServerConfig::new(PROTOCOL, &key).bind(&taken)).unwrap();
    let err = second.start().unwrap_err();
    assert_eq!(err.code, ErrorCode::Socket);
    assert!(err.message.contains(&taken) || !err.message.is_empty(), "{err}");

    // A client that is not connected cannot send.
    let token = TokenParams::new(PROTOCOL, 1, &key)
        .public_address(&taken)
        .generate()
        .unwrap();
    let mut client = Client::new(&token, &ClientConfig::new()).unwrap();
    assert_eq!(client.send(b"x").unwrap_err().code, ErrorCode::NotConnected);
    client.connect().unwrap();
    assert_eq!(client.connect().unwrap_err().code, ErrorCode::AlreadyActive);
    assert_eq!(client.set_token(&token).unwrap_err().code, ErrorCode::AlreadyActive);
    assert_eq!(client.update(-0.5).unwrap_err().code, ErrorCode::InvalidArgument);

    // Garbage token bytes: the client is made, connect refuses them.
    let mut bad = Client::from_token_bytes(&[1u8; 2048], &ClientConfig::new()).unwrap();
    assert_eq!(bad.connect().unwrap_err().code, ErrorCode::InvalidToken);
    assert_eq!(bad.state().unwrap(), ClientState::InvalidConnectToken);

    // Display: message and description.
    let e = Error {
        code: ErrorCode::NotRunning,
        message: "m".into(),
    };
    assert_eq!(e.to_string(), "m (server not running)");
    assert_eq!(ErrorCode::from_raw(-15), ErrorCode::SendBufferFull);
    assert_eq!(ErrorCode::SendBufferFull.raw(), sys::LY_ERR_SEND_BUFFER_FULL);
    assert!(ErrorCode::SendBufferFull.description().contains("send buffer"));
    // The token fetch's codes: known, round-tripping, described by the library.
    for raw in sys::LY_ERR_HTTP..=sys::LY_ERR_UNAUTHORIZED {
        let code = ErrorCode::from_raw(raw);
        assert!(!matches!(code, ErrorCode::Unknown(_)), "{raw} unknown");
        assert_eq!(code.raw(), raw);
        assert_ne!(code.description(), "unknown error", "{raw}");
    }
    assert_eq!(ErrorCode::from_raw(-99), ErrorCode::Unknown(-99));
    assert_eq!(ErrorCode::Unknown(-99).description(), "unknown error");
}

#[test]
fn manual_clients_make_their_own_tokens() {
    let key = key();
    let mut server = server_on("127.0.0.1:0", &key);
    let addr = server.address(0).unwrap();
    let mut client = Client::manual(&addr, 31, PROTOCOL, &key, &ClientConfig::new()).unwrap();
    assert_eq!(client.id().unwrap(), ClientId::Netcode(31));
    client.connect().unwrap();
    assert!(pump(&mut server, &mut client, 300, |s, c| {
        while s.poll().unwrap().is_some() {}
        c.is_connected()
    }));
    assert_eq!(server.connected_ids().unwrap(), vec![ClientId::Netcode(31)]);
    assert_eq!(
        Client::manual("bad", 1, PROTOCOL, &key, &ClientConfig::new())
            .unwrap_err()
            .code,
        ErrorCode::InvalidArgument
    );
}

#[test]
fn a_consumed_token_is_refused_and_a_fresh_one_works() {
    let key = key();
    let mut server = server_on("127.0.0.1:0", &key);
    let addr = server.address(0).unwrap();
    let token = TokenParams::new(PROTOCOL, 12, &key)
        .public_address(&addr)
        .generate()
        .unwrap();
    let mut client = Client::new(&token, &ClientConfig::new()).unwrap();
    client.connect().unwrap();
    assert!(pump(&mut server, &mut client, 300, |s, c| {
        while s.poll().unwrap().is_some() {}
        c.is_connected()
    }));
    client.disconnect().unwrap();
    server.update(DT).unwrap();
    while server.poll().unwrap().is_some() {}

    // Same token again: the server drops the request (netcode 1.4.5: consumed), the client
    // gives up after the token's timeout.
    client.connect().unwrap();
    assert!(pump(&mut server, &mut client, 600, |_, c| c
        .state()
        .unwrap()
        .is_error()));
    assert_eq!(client.state().unwrap(), ClientState::ConnectionRequestTimedOut);
    assert!(server.stats().unwrap().dropped_rejected > 0);

    // A fresh token connects.
    let fresh = TokenParams::new(PROTOCOL, 12, &key)
        .public_address(&addr)
        .generate()
        .unwrap();
    client.set_token(&fresh).unwrap();
    client.connect().unwrap();
    assert!(pump(&mut server, &mut client, 300, |_, c| c.is_connected()));
}

#[test]
fn a_full_token_history_refuses_counts_and_warns() {
    let key = key();
    let config = ServerConfig::new(PROTOCOL, &key)
        .bind("127.0.0.1:0")
        .token_history_size(1);
    let mut server = Server::new(&config).unwrap();
    server.start().unwrap();
    let addr = server.address(0).unwrap();
    let mut first = Client::manual(&addr, 21, PROTOCOL, &key, &ClientConfig::new()).unwrap();
    first.connect().unwrap();
    assert!(pump(&mut server, &mut first, 300, |_, c| c.is_connected()));
    assert_eq!(
        server.poll().unwrap(),
        Some(Event::Connected {
            client: ClientId::Netcode(21)
        })
    );
    assert_eq!(server.stats().unwrap().dropped_table_full, 0);

    // The history holds one token: the second client's requests are refused, counted, and
    // raise one warning (through the batch path) within the second.
    let mut late = Client::manual(&addr, 22, PROTOCOL, &key, &ClientConfig::new()).unwrap();
    late.connect().unwrap();
    assert!(pump(&mut server, &mut late, 300, |s, _| s
        .stats()
        .unwrap()
        .dropped_table_full
        >= 3));
    assert_eq!(late.state().unwrap(), ClientState::SendingConnectionRequest);
    let mut events = EventBuffer::new(8);
    let got: Vec<String> = server
        .poll_batch(&mut events)
        .unwrap()
        .map(|e| format!("{e:?}"))
        .collect();
    let warning = Event::Warning {
        client: ClientId::Netcode(22),
        warning: Warning::TokenHistoryFull,
    };
    assert_eq!(got, vec![format!("{warning:?}")]);
    assert_eq!(warning.client(), ClientId::Netcode(22));
    assert_eq!(Warning::TokenHistoryFull.to_string(), "token history full");
    assert_eq!(Warning::TokenHistoryFull.raw(), sys::LY_WARNING_TOKEN_HISTORY_FULL);
    assert_eq!(Warning::Unknown(7).raw(), 7);
}

#[test]
fn tokens() {
    let key = key();
    let token = TokenParams::new(PROTOCOL, 99, &key)
        .public_addresses(["127.0.0.1:40000", "[::1]:40001"])
        .public_address("[2001:db8::1:2:3]:65535")
        .expire_seconds(45)
        .timeout_seconds(7)
        .generate()
        .unwrap();
    let info = token.info().unwrap();
    assert_eq!(info.protocol_id, PROTOCOL);
    assert_eq!(info.expire_timestamp - info.create_timestamp, 45);
    assert_eq!(info.timeout_seconds, 7);
    assert_eq!(info.timeout(), Some(std::time::Duration::from_secs(7)));
    assert_eq!(info.num_addresses, 3);
    assert!(!info.never_expires());
    assert_eq!(
        token.addresses().unwrap(),
        vec!["127.0.0.1:40000", "[::1]:40001", "[2001:db8::1:2:3]:65535"]
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(info.create_timestamp.abs_diff(now) <= 2);

    // Round trip through bytes.
    let again = ConnectToken::from_bytes(token.as_bytes()).unwrap();
    assert_eq!(again.info().unwrap(), info);
    assert!(
        !format!("{token:?}").contains("private"),
        "Debug shows only the public info"
    );

    let forever = TokenParams::new(PROTOCOL, 1, &key)
        .public_address("127.0.0.1:1")
        .never_expires()
        .timeout_seconds(-1)
        .generate()
        .unwrap();
    let info = forever.info().unwrap();
    assert!(info.never_expires());
    assert_eq!(info.expire_timestamp, u64::MAX);
    assert_eq!(info.timeout(), None);

    // Defaults: 30 s, 5 s.
    let d = TokenParams::new(PROTOCOL, 1, &key)
        .public_address("127.0.0.1:1")
        .generate()
        .unwrap()
        .info()
        .unwrap();
    assert_eq!((d.expire_timestamp - d.create_timestamp, d.timeout_seconds), (30, 5));

    // What cannot make a token.
    assert_eq!(
        TokenParams::new(PROTOCOL, 1, &key).generate().unwrap_err().code,
        ErrorCode::InvalidToken
    );
    let err = TokenParams::new(PROTOCOL, 1, &key)
        .public_address("127.0.0.1:1")
        .user_data(&[0; 257])
        .generate()
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidToken);
    let many: Vec<String> = (0..33).map(|i| format!("127.0.0.1:{}", 1000 + i)).collect();
    assert_eq!(
        TokenParams::new(PROTOCOL, 1, &key)
            .public_addresses(many)
            .generate()
            .unwrap_err()
            .code,
        ErrorCode::InvalidToken
    );
    assert_eq!(
        TokenParams::new(PROTOCOL, 1, &key)
            .public_address("nope")
            .generate()
            .unwrap_err()
            .code,
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        ConnectToken::from_bytes(&[0u8; 100]).unwrap_err().code,
        ErrorCode::InvalidToken
    );
    assert_eq!(
        ConnectToken::from_bytes(&[0u8; 2048]).unwrap_err().code,
        ErrorCode::InvalidToken
    );

    let k1 = generate_key().unwrap();
    let k2 = generate_key().unwrap();
    assert_ne!(k1, k2);
}

#[test]
fn conditioner_presets_and_validation() {
    let good = ConditionerConfig::preset(ConditionerPreset::Good);
    assert_eq!((good.latency_ms, good.jitter_ms, good.loss), (40.0, 6.0, 0.002));
    let avg = ConditionerConfig::preset(ConditionerPreset::Average);
    assert_eq!((avg.latency_ms, avg.jitter_ms, avg.loss), (100.0, 15.0, 0.02));
    let poor = ConditionerConfig::from(ConditionerPreset::Poor).with_seed(7);
    assert_eq!(
        (poor.latency_ms, poor.jitter_ms, poor.loss, poor.seed),
        (200.0, 30.0, 0.10, 7)
    );
    assert_eq!(poor.burst_model, BurstModel::None);
    assert_eq!(
        (poor.burst_p, poor.burst_r, poor.burst_loss_good, poor.burst_loss_bad),
        (0.0, 0.0, 0.0, 0.0)
    );
    assert_eq!(
        ConditionerConfig::preset(ConditionerPreset::Off),
        ConditionerConfig::default()
    );

    let (mut server, mut client) = connected_pair("127.0.0.1:0", 4, &[]);
    server.set_conditioner(Some(&good), Some(&good)).unwrap();
    client.set_conditioner(Some(&poor), None).unwrap();
    let bad = ConditionerConfig {
        loss: 2.0,
        ..Default::default()
    };
    assert_eq!(
        server.set_conditioner(Some(&bad), None).unwrap_err().code,
        ErrorCode::InvalidArgument
    );
    // Burst fields are checked by the library: an unknown-to-Gilbert loss probability, or
    // one above 1, is refused; a Gilbert-Elliott chain is accepted.
    for bad in [
        ConditionerConfig {
            burst_model: BurstModel::Gilbert,
            burst_p: 0.1,
            burst_loss_bad: 0.5,
            ..Default::default()
        },
        ConditionerConfig {
            burst_model: BurstModel::Gilbert,
            burst_p: 1.5,
            ..Default::default()
        },
        ConditionerConfig {
            burst_p: 0.1,
            ..Default::default()
        },
    ] {
        assert_eq!(
            server.set_conditioner(None, Some(&bad)).unwrap_err().code,
            ErrorCode::InvalidArgument,
            "{bad:?}"
        );
    }
    let ge = ConditionerConfig {
        burst_model: BurstModel::GilbertElliott,
        burst_p: 0.05,
        burst_r: 0.25,
        burst_loss_good: 0.01,
        burst_loss_bad: 0.7,
        seed: 3,
        ..Default::default()
    };
    server.set_conditioner(Some(&ge), Some(&ge)).unwrap();
    server.set_conditioner(None, None).unwrap();

    // 150 ms of one-way latency on what the client sends: a payload shows up at the server
    // only once the server's clock has run that long.
    let latency = ConditionerConfig {
        latency_ms: 150.0,
        ..Default::default()
    };
    client.set_conditioner(Some(&latency), None).unwrap();
    client.send(b"late").unwrap();
    let mut arrived_after = None;
    for step in 0..60 {
        client.update(DT).unwrap();
        server.update(DT).unwrap();
        if let Some(Event::Payload { data, .. }) = server.poll().unwrap() {
            assert_eq!(data, b"late");
            arrived_after = Some(step as f64 * DT);
            break;
        }
    }
    let t = arrived_after.expect("the payload arrived");
    assert!((0.13..0.3).contains(&t), "arrived after {t} s");

    // Local clients are not conditioned.
    let local = server.connect_local(1).unwrap();
    assert_eq!(
        local.set_conditioner(Some(&good), None).unwrap_err().code,
        ErrorCode::InvalidArgument
    );
}

#[test]
fn version_and_names() {
    assert_eq!(library_version().0, BINDING_VERSION.0);
    assert_eq!(ClientState::Connected.to_string(), ClientState::Connected.to_string());
    assert!(!ClientState::ConnectionDenied.to_string().is_empty());
    assert!(ClientState::ConnectionDenied.is_error());
    assert!(ClientState::SendingConnectionResponse.is_connecting());
    assert_eq!(ClientState::ConnectTokenExpired.raw(), -6);
    assert!(!DisconnectReason::TimedOut.to_string().is_empty());
    assert_eq!(DisconnectReason::Unknown(77).raw(), 77);
    assert_eq!(ClientId::Local(5).to_string(), "local:5");
    assert_eq!(ClientId::Steam(5).id(), 5);
}

#[test]
fn batch_sends_wait_for_flush() {
    let key = key();
    let config = ServerConfig::new(PROTOCOL, &key).bind("127.0.0.1:0").batch_sends(true);
    let mut server = Server::new(&config).unwrap();
    assert_eq!(server.flush().unwrap_err().code, ErrorCode::NotRunning);
    server.start().unwrap();
    let addr = server.address(0).unwrap();
    let token = TokenParams::new(PROTOCOL, 5, &key)
        .public_address(&addr)
        .generate()
        .unwrap();
    let mut client = Client::new(&token, &ClientConfig::new().client_id(5)).unwrap();
    client.connect().unwrap();
    assert!(pump(&mut server, &mut client, 300, |_, c| c.is_connected()));
    let id = ClientId::Netcode(5);

    for i in 0..3u8 {
        server.send(id, &[i]).unwrap();
    }
    std::thread::sleep(std::time::Duration::from_millis(30));
    client.update(0.0).unwrap();
    assert_eq!(client.receive().unwrap(), None, "nothing leaves before flush");
    server.flush().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(30));
    client.update(0.0).unwrap();
    for i in 0..3u8 {
        assert_eq!(client.receive().unwrap(), Some(&[i][..]), "payload {i} after flush");
    }
    assert_eq!(client.receive().unwrap(), None);
}
