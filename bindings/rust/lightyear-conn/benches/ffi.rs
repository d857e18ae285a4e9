//! What a call into liblightyear_conn costs from Rust, raw (lightyear-conn-sys) and through
//! the safe wrapper, measured like bench/c/bench_ffi.c so the numbers compare:
//! std::time::Instant around many calls after an untimed warm-up (a thread's first call
//! into Go costs tens of microseconds), nanoseconds per call.
//!
//! Payload rows time only what they name: K=64 payloads are sent and the server update that
//! reads and decrypts them runs untimed; then only the draining of the K queued events is
//! timed (K polls, or batch polls of up to K events) and divided by the events taken.
//!
//!     cargo bench -p lightyear-conn --bench ffi [-- --quick | --iters N]
//!     bash bench.sh

use std::hint::black_box;
use std::time::Instant;

use lightyear_conn::{Client, ClientConfig, Event, EventBuffer, MAX_PAYLOAD_SIZE, Server, ServerConfig};
use lightyear_conn_sys as sys;

const PROTOCOL: u64 = 0x4C59_424E_4348_0002;
const BATCH: usize = 64;
const PAYLOAD: usize = 100;

fn main() {
    let mut iters: u64 = 1_000_000;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--quick" => iters = 2_000,
            "--iters" => iters = args.next().and_then(|n| n.parse().ok()).unwrap_or(iters),
            _ => {} // cargo bench passes --bench
        }
    }
    let iters = iters.max(1);
    // A send is a real sendto, and each payload event needs one plus a decrypt outside the
    // timed part, so these rows use fewer.
    let events_wanted = (iters / 4).max(BATCH as u64);
    let payload = [0xABu8; PAYLOAD];

    let key = lightyear_conn::generate_key().unwrap();
    let mut server = Server::new(&ServerConfig::new(PROTOCOL, &key).bind("127.0.0.1:0")).unwrap();
    server.start().unwrap();
    let addr = server.address(0).unwrap();
    // The raw rows use the same handles (as_raw): a handle is a token the library validates.
    let raw_server = server.as_raw();

    let (major, minor, patch) = lightyear_conn::library_version();
    println!(
        "lightyear_conn {major}.{minor}.{patch} Rust FFI benchmark: std::time::Instant, untimed warm-up before each row"
    );
    println!(
        "iterations {iters} (send and payload rows: {events_wanted}), {PAYLOAD}-byte payloads, {BATCH} events per round\n"
    );
    println!("{:<46} {:>9} {:>9} {:>9}  note", "call", "calls", "mean ns", "median");

    let ns = time_loop(iters, || {
        // SAFETY: no arguments, never fails.
        black_box(unsafe { sys::ly_version() });
    });
    row("sys ly_version", iters, &ns, "plain C in the library: the floor");

    let ns = time_loop(iters, || {
        // SAFETY: handles are validated by the library.
        black_box(unsafe { sys::ly_server_running(raw_server) });
    });
    row(
        "sys ly_server_running",
        iters,
        &ns,
        "C->Go call + handle lookup + lock: the Go floor",
    );

    let ns = time_loop(iters, || {
        black_box(server.is_running().unwrap());
    });
    row("Server::is_running", iters, &ns, "the same through the safe API");

    // A connected netcode client, then left alone so it sends nothing of its own.
    let mut client = Client::manual(&addr, 1, PROTOCOL, &key, &ClientConfig::new()).unwrap();
    client.connect().unwrap();
    for _ in 0..10_000 {
        client.update(1.0 / 60.0).unwrap();
        server.update(1.0 / 60.0).unwrap();
        if client.is_connected() && server.num_connected().unwrap() == 1 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_micros(200));
    }
    assert!(client.is_connected(), "the client did not connect");
    let raw_client = client.as_raw();
    std::thread::sleep(std::time::Duration::from_millis(1));
    drain(&mut server);

    let mut ev = sys::ly_event::default();
    let mut buf = [0u8; MAX_PAYLOAD_SIZE];
    let ns = time_loop(iters, || {
        // SAFETY: ev and buf are valid for the sizes passed.
        let r = unsafe { sys::ly_server_poll(raw_server, &mut ev, buf.as_mut_ptr(), MAX_PAYLOAD_SIZE as u32) };
        assert_eq!(black_box(r), 0);
    });
    row("sys ly_server_poll, nothing pending", iters, &ns, "returns 0");

    let ns = time_loop(iters, || {
        assert!(black_box(server.poll_into(&mut buf).unwrap()).is_none());
    });
    row("Server::poll_into, nothing pending", iters, &ns, "Ok(None)");

    let mut event_buf = EventBuffer::new(BATCH);
    let ns = time_loop(iters, || {
        assert!(black_box(server.poll_batch(&mut event_buf).unwrap()).is_empty());
    });
    row("Server::poll_batch, nothing pending", iters, &ns, "an empty batch");

    let ns = time_loop(events_wanted, || {
        // SAFETY: payload is PAYLOAD readable bytes.
        let r = unsafe { sys::ly_client_send(raw_client, payload.as_ptr(), PAYLOAD as u32) };
        assert_eq!(r, 0);
    });
    row(
        "sys ly_client_send, 100 bytes, connected",
        events_wanted,
        &ns,
        "encrypt + sendto on loopback",
    );
    std::thread::sleep(std::time::Duration::from_millis(1));
    drain(&mut server);

    let ns = time_loop(events_wanted, || client.send(&payload).unwrap());
    row(
        "Client::send, 100 bytes, connected",
        events_wanted,
        &ns,
        "the same through the safe API",
    );
    std::thread::sleep(std::time::Duration::from_millis(1));
    drain(&mut server);

    // One payload per poll: BATCH polls for the BATCH queued events.
    let (events, _calls, ns) = drain_rounds(&mut server, &client, &payload, events_wanted, |_| {
        let mut got = 0;
        let mut calls = 0;
        while got < BATCH {
            // SAFETY: as above.
            let r = unsafe { sys::ly_server_poll(raw_server, &mut ev, buf.as_mut_ptr(), MAX_PAYLOAD_SIZE as u32) };
            calls += 1;
            assert!(r >= 0);
            if r != 1 {
                break;
            }
            got += 1;
        }
        (got, calls)
    });
    row("sys ly_server_poll, one 100-byte payload", events, &ns, "per event");

    let (events, _calls, ns) = drain_rounds(&mut server, &client, &payload, events_wanted, |server| {
        let mut got = 0;
        let mut calls = 0;
        while got < BATCH {
            calls += 1;
            match server.poll_into(&mut buf).unwrap() {
                Some(Event::Payload { data, .. }) => {
                    black_box(data);
                    got += 1;
                }
                _ => break,
            }
        }
        (got, calls)
    });
    row("Server::poll_into, one 100-byte payload", events, &ns, "per event");

    // Many per batch.
    let mut raw_events = vec![sys::ly_event::default(); BATCH];
    let mut raw_buf = vec![0u8; BATCH * MAX_PAYLOAD_SIZE];
    let (events, calls, ns) = drain_rounds(&mut server, &client, &payload, events_wanted, |_| {
        let mut got = 0;
        let mut calls = 0;
        while got < BATCH {
            // SAFETY: raw_events and raw_buf are valid for the sizes passed.
            let r = unsafe {
                sys::ly_server_poll_batch(
                    raw_server,
                    raw_events.as_mut_ptr(),
                    BATCH as u32,
                    raw_buf.as_mut_ptr(),
                    raw_buf.len() as u32,
                )
            };
            calls += 1;
            assert!(r >= 0);
            if r == 0 {
                break;
            }
            got += r as usize;
        }
        (got, calls)
    });
    row(
        "sys ly_server_poll_batch, 64 x 100-byte",
        events,
        &ns,
        &format!(
            "per event; {:.1} events/call, {:.0} ns/call",
            events as f64 / calls as f64,
            ns.ns / calls as f64
        ),
    );

    let (events, calls, ns) = drain_rounds(&mut server, &client, &payload, events_wanted, |server| {
        let mut got = 0;
        let mut calls = 0;
        while got < BATCH {
            calls += 1;
            let batch = server.poll_batch(&mut event_buf).unwrap();
            if batch.is_empty() {
                break;
            }
            got += black_box(batch).len();
        }
        (got, calls)
    });
    row(
        "Server::poll_batch, 64 x 100-byte, not iterated",
        events,
        &ns,
        &format!(
            "per event; {:.1} events/call, {:.0} ns/call",
            events as f64 / calls as f64,
            ns.ns / calls as f64
        ),
    );

    let (events, calls, ns) = drain_rounds(&mut server, &client, &payload, events_wanted, |server| {
        let mut got = 0;
        let mut calls = 0;
        while got < BATCH {
            calls += 1;
            let batch = server.poll_batch(&mut event_buf).unwrap();
            if batch.is_empty() {
                break;
            }
            for ev in batch {
                if let Event::Payload { data, .. } = ev {
                    black_box(data);
                    got += 1;
                }
            }
        }
        (got, calls)
    });
    row(
        "Server::poll_batch + iterate, 64 x 100-byte",
        events,
        &ns,
        &format!(
            "per event; {:.1} events/call, {:.0} ns/call",
            events as f64 / calls as f64,
            ns.ns / calls as f64
        ),
    );

    drop(client);
    drop(server);
    lightyear_conn::shutdown();
}

/// The time of a row: nanoseconds in all, and ns per call of each of its rounds.
struct Timing {
    ns: f64,
    rounds: Vec<f64>,
}

impl Timing {
    fn median(&self) -> f64 {
        let mut r = self.rounds.clone();
        r.sort_by(f64::total_cmp);
        if r.is_empty() { 0.0 } else { r[r.len() / 2] }
    }
}

const ROUNDS: u64 = 10;

/// Times `n` calls of `f`, in ROUNDS rounds, after an untimed warm-up.
fn time_loop(n: u64, mut f: impl FnMut()) -> Timing {
    for _ in 0..(n / 100 + 100) {
        f();
    }
    let per = (n / ROUNDS).max(1);
    let mut t = Timing {
        ns: 0.0,
        rounds: Vec::new(),
    };
    let mut done = 0;
    while done < n {
        let k = per.min(n - done);
        let start = Instant::now();
        for _ in 0..k {
            f();
        }
        let ns = start.elapsed().as_nanos() as f64;
        t.ns += ns;
        t.rounds.push(ns / k as f64);
        done += k;
    }
    t
}

fn row(name: &str, calls: u64, t: &Timing, note: &str) {
    let mean = if calls > 0 { t.ns / calls as f64 } else { 0.0 };
    println!("{name:<46} {calls:>9} {mean:>9.1} {:>9.1}  {note}", t.median());
}

/// Takes every queued event with the server's clock held still.
fn drain(server: &mut Server) {
    let mut events = EventBuffer::new(BATCH);
    server.update(0.0).unwrap();
    while !server.poll_batch(&mut events).unwrap().is_empty() {}
}

/// Rounds of: send BATCH payloads and let the server read them (untimed), then time
/// `take`, which drains the queued events and returns (events taken, calls made).
fn drain_rounds(
    server: &mut Server,
    client: &Client,
    payload: &[u8],
    events_wanted: u64,
    mut take: impl FnMut(&Server) -> (usize, usize),
) -> (u64, u64, Timing) {
    let fill = |server: &mut Server| {
        for _ in 0..BATCH {
            client.send(payload).unwrap();
        }
        server.update(0.0).unwrap();
    };
    for _ in 0..4 {
        fill(server);
        drain(server);
    }
    let (mut events, mut calls) = (0u64, 0u64);
    let mut t = Timing {
        ns: 0.0,
        rounds: Vec::new(),
    };
    while events < events_wanted {
        fill(server);
        let start = Instant::now();
        let (got, c) = take(server);
        let ns = start.elapsed().as_nanos() as f64;
        t.ns += ns;
        t.rounds.push(ns / got.max(1) as f64);
        events += got as u64;
        calls += c as u64;
        drain(server);
    }
    (events, calls, t)
}
