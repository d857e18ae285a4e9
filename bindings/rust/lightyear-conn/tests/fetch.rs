//! Token delivery against real parts: a redis-server and two lytokens replicas over TLS
//! (tests/common/fleet.rs). Servers register in the fleet from Rust; clients fetch tokens
//! (blocking and polled) and connect. Each test uses its own tag, so tests running in
//! parallel never get each other's servers.

#[path = "common/fleet.rs"]
mod fleet;

use std::time::{Duration, Instant};

use fleet::fleet;
use lightyear_conn::*;

const DT: f64 = 0.01;

fn options(replica: usize, tag: &str) -> TokenFetchOptions {
    let f = fleet();
    TokenFetchOptions::new(&f.urls[replica], f.credential())
        .pin_sha256(&f.pin)
        .tag(tag)
}

/// A started server with the fixture's key, registered under `tag`, once Redis has it.
fn registered_server(tag: &str, max_clients: u32, ttl: Duration) -> Server {
    let f = fleet();
    let mut server = Server::new(
        &ServerConfig::new(f.protocol_id, &f.private_key)
            .bind("127.0.0.1:0")
            .max_clients(max_clients),
    )
    .unwrap();
    server.start().unwrap();
    assert_eq!(server.fleet_status().unwrap(), FleetStatus::NotRegistered);
    server
        .register_with_fleet(&FleetConfig::new(&f.redis).key_prefix(&f.prefix).tags(tag).ttl(ttl))
        .unwrap();
    let t0 = Instant::now();
    loop {
        match server.fleet_status().unwrap() {
            FleetStatus::Registered => return server,
            FleetStatus::Pending => {}
            other => panic!("fleet registration: {other:?}"),
        }
        assert!(t0.elapsed() < Duration::from_secs(10), "registered within 10 s");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Connects a client with `token` to `server` and echoes one payload through it.
fn connect_and_echo(server: &mut Server, token: &ConnectToken) -> Client {
    assert_eq!(
        token.addresses().unwrap()[0],
        server.address(0).unwrap(),
        "the token names the server"
    );
    let mut client = Client::new(token, &ClientConfig::new()).unwrap();
    client.connect().unwrap();
    let msg = b"through the fleet";
    let (mut sent, t0) = (false, Instant::now());
    loop {
        assert!(t0.elapsed() < Duration::from_secs(20), "connect and echo within 20 s");
        client.update(DT).unwrap();
        server.update(DT).unwrap();
        while let Some(ev) = server.poll().unwrap() {
            if let Event::Payload { client, data } = ev {
                let data = data.to_vec();
                server.send(client, &data).unwrap();
            }
        }
        if !sent && client.is_connected() {
            client.send(msg).unwrap();
            sent = true;
        }
        if let Some(p) = client.receive().unwrap() {
            assert_eq!(p, msg);
            return client;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Polls `request` to the end, updating `server` meanwhile; returns the result and how
/// many polls found it pending.
fn poll_to_end(request: &TokenRequest, mut server: Option<&mut Server>) -> (Result<ConnectToken>, usize) {
    let (mut pending, t0) = (0, Instant::now());
    loop {
        match request.poll() {
            Ok(None) => pending += 1,
            Ok(Some(t)) => return (Ok(t), pending),
            Err(e) => return (Err(e), pending),
        }
        assert!(t0.elapsed() < Duration::from_secs(15), "polled fetch done within 15 s");
        if let Some(s) = server.as_deref_mut() {
            s.update(DT).unwrap(); // the game loop goes on
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn fetch_blocking_and_polled_then_connect() {
    let mut server = registered_server("rs-connect", 8, Duration::from_secs(2));
    let token = fetch_token(&options(0, "rs-connect")).unwrap();
    let _a = connect_and_echo(&mut server, &token);

    // Replica 2, trusting the CA file instead of a pin.
    let f = fleet();
    let opts = TokenFetchOptions::new(&f.urls[1], f.credential())
        .ca_file(&f.ca_file)
        .tag("rs-connect");
    let request = TokenRequest::start(&opts).unwrap();
    let (token, pending) = poll_to_end(&request, Some(&mut server));
    let token = token.unwrap();
    assert!(pending > 0, "the first poll returned before the network answered");
    assert_eq!(
        request.poll().unwrap().unwrap().as_bytes(),
        token.as_bytes(),
        "a later poll returns it again"
    );
    drop(request);
    let _b = connect_and_echo(&mut server, &token);
    assert_eq!(server.num_connected().unwrap(), 2);

    // Deregistered: gone at once.
    server.deregister_from_fleet().unwrap();
    assert_eq!(server.fleet_status().unwrap(), FleetStatus::NotRegistered);
    let e = fetch_token(&options(1, "rs-connect")).unwrap_err();
    assert_eq!(e.code, ErrorCode::NoServer, "{e}");
    assert_eq!(e.http_status(), Some(503), "{e}");
    server.deregister_from_fleet().unwrap(); // twice: Ok
}

#[test]
fn wrong_pin_is_refused_by_the_client() {
    let f = fleet();
    let opts = TokenFetchOptions::new(&f.urls[0], f.credential()).pin_sha256("00".repeat(32));
    let e = fetch_token(&opts).unwrap_err();
    assert_eq!(e.code, ErrorCode::Tls, "{e}");
    assert_eq!(e.http_status(), None);
    let request = TokenRequest::start(&opts).unwrap();
    let (r, _) = poll_to_end(&request, None);
    assert_eq!(r.unwrap_err().code, ErrorCode::Tls);
}

#[test]
fn bad_credential_is_unauthorized() {
    let f = fleet();
    let opts = TokenFetchOptions::new(&f.urls[1], &f.bad_credential).pin_sha256(&f.pin);
    let e = fetch_token(&opts).unwrap_err();
    assert_eq!(e.code, ErrorCode::Unauthorized, "{e}");
    assert_eq!(e.http_status(), Some(401), "{e}");
    let request = TokenRequest::start(&opts).unwrap();
    let (r, _) = poll_to_end(&request, None);
    assert_eq!(r.unwrap_err().code, ErrorCode::Unauthorized);
    // Every later poll returns the error again.
    assert_eq!(request.poll().unwrap_err().code, ErrorCode::Unauthorized);
}

#[test]
fn full_fleet_answers_503() {
    let mut server = registered_server("rs-full", 1, Duration::from_millis(600));
    let token = fetch_token(&options(0, "rs-full")).unwrap();
    let mut client = connect_and_echo(&mut server, &token);
    // Once a heartbeat (every ttl / 3) has published the count, no server has room.
    let t0 = Instant::now();
    let e = loop {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "503 within 10 s of the server filling"
        );
        for _ in 0..10 {
            client.update(DT).unwrap();
            server.update(DT).unwrap();
            std::thread::sleep(Duration::from_millis(5));
        }
        match fetch_token(&options(1, "rs-full")) {
            Err(e) if e.code == ErrorCode::NoServer => break e,
            Ok(_) => {}
            Err(e) => panic!("unexpected {e}"),
        }
    };
    assert_eq!(e.http_status(), Some(503), "{e}");
    assert!(e.message.contains("HTTP 503"), "{e}");
    assert_eq!(server.num_connected().unwrap(), 1);
}

#[test]
fn misuse_gives_the_documented_codes() {
    let f = fleet();
    let code = |o: &TokenFetchOptions| fetch_token(o).unwrap_err().code;
    assert_eq!(
        code(&TokenFetchOptions::new("http://127.0.0.1:1", "x")),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        code(&TokenFetchOptions::new(&f.urls[0], "")),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        code(
            &TokenFetchOptions::new(&f.urls[0], "x")
                .pin_sha256(&f.pin)
                .ca_file(&f.ca_file)
        ),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        code(&TokenFetchOptions::new("https://x\0", "y")),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        TokenRequest::start(&TokenFetchOptions::new("https://127.0.0.1:1", "x").pin_sha256("not hex"))
            .unwrap_err()
            .code,
        ErrorCode::InvalidArgument
    );
    // The credential never shows in Debug.
    let dbg = format!("{:?}", TokenFetchOptions::new("https://a", "secret-jwt"));
    assert!(!dbg.contains("secret-jwt"), "{dbg}");

    let server = registered_server("rs-misuse", 4, Duration::from_secs(2));
    let again = server.register_with_fleet(&FleetConfig::new(&f.redis)).unwrap_err();
    assert_eq!(again.code, ErrorCode::AlreadyActive, "{again}");
    let stopped = Server::new(&ServerConfig::new(1, &generate_key().unwrap()).bind("127.0.0.1:0")).unwrap();
    let e = stopped.register_with_fleet(&FleetConfig::new(&f.redis)).unwrap_err();
    assert_eq!(e.code, ErrorCode::NotRunning, "{e}");
    assert_eq!(stopped.fleet_status().unwrap(), FleetStatus::NotRegistered);

    // Retry-After and the status come from the message the library writes.
    let e = Error {
        code: ErrorCode::RateLimited,
        message: "token service: HTTP 429: slow down (retry after 7 s)".into(),
    };
    assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
    assert_eq!(e.http_status(), Some(429));
}
