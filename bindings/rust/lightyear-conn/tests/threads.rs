//! Send and Sync in practice: a server and clients moved to other threads, a server shared
//! by reference between threads, and per-thread error messages.

use std::sync::Barrier;

use lightyear_conn::*;

const PROTOCOL: u64 = 0x4C59_5448_0000_0001;

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn types_are_send_and_sync() {
    assert_send_sync::<Server>();
    assert_send_sync::<Client>();
    assert_send_sync::<ConnectToken>();
    assert_send_sync::<EventBuffer>();
    assert_send_sync::<Error>();
}

#[test]
fn handles_move_between_threads() {
    let key = generate_key().unwrap();
    let mut server = Server::new(&ServerConfig::new(PROTOCOL, &key).bind("127.0.0.1:0")).unwrap();
    server.start().unwrap();
    let addr = server.address(0).unwrap();
    // Made here, used and dropped on another thread.
    let token = TokenParams::new(PROTOCOL, 1, &key)
        .public_address(&addr)
        .generate()
        .unwrap();
    let client = Client::new(&token, &ClientConfig::new()).unwrap();
    let server = std::thread::spawn(move || {
        let mut client = client;
        client.connect().unwrap();
        let mut server = server;
        for _ in 0..300 {
            client.update(0.02).unwrap();
            server.update(0.02).unwrap();
            if client.is_connected() {
                break;
            }
        }
        assert!(client.is_connected());
        client.send(b"from a thread").unwrap();
        server.update(0.0).unwrap();
        server
    })
    .join()
    .unwrap();
    // Back on this thread: the events are there.
    let mut server = server;
    assert!(matches!(server.poll().unwrap(), Some(Event::Connected { .. })));
    assert!(matches!(
        server.poll().unwrap(),
        Some(Event::Payload {
            data: b"from a thread",
            ..
        })
    ));
}

#[test]
fn one_server_shared_by_reference() {
    let key = generate_key().unwrap();
    let mut server = Server::new(&ServerConfig::new(PROTOCOL, &key)).unwrap();
    server.start().unwrap();
    let clients: Vec<Client> = (0..4).map(|i| server.connect_local(i).unwrap()).collect();
    // Four threads send through &Server at once, each to its own local client, while the
    // main thread reads stats: the library serialises the calls.
    std::thread::scope(|s| {
        for i in 0..4u64 {
            let server = &server;
            s.spawn(move || {
                for n in 0..200u32 {
                    server.send(ClientId::Local(i), &n.to_le_bytes()).unwrap();
                }
            });
        }
        for _ in 0..100 {
            server.stats().unwrap();
        }
    });
    for (i, mut c) in clients.into_iter().enumerate() {
        c.update(0.0).unwrap();
        let mut n = 0u32;
        while let Some(p) = c.receive().unwrap() {
            assert_eq!(p, n.to_le_bytes(), "client {i}");
            n += 1;
        }
        // The local receive queue holds 256 by default; 200 fit.
        assert_eq!(n, 200);
    }
}

#[test]
fn error_messages_are_per_thread() {
    let key = generate_key().unwrap();
    let barrier = Barrier::new(2);
    std::thread::scope(|s| {
        let a = s.spawn(|| {
            barrier.wait();
            let mut errs = Vec::new();
            for _ in 0..200 {
                let e = Server::new(&ServerConfig::new(PROTOCOL, &key).bind("first-bad-address")).unwrap_err();
                errs.push(e);
            }
            errs
        });
        let b = s.spawn(|| {
            barrier.wait();
            let mut errs = Vec::new();
            for _ in 0..200 {
                let e = TokenParams::new(PROTOCOL, 1, &key)
                    .public_address("second-bad-address")
                    .generate()
                    .unwrap_err();
                errs.push(e);
            }
            errs
        });
        for e in a.join().unwrap() {
            assert!(e.message.contains("first-bad-address"), "{e}");
        }
        for e in b.join().unwrap() {
            assert!(e.message.contains("second-bad-address"), "{e}");
        }
    });
}
