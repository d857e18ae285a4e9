//! The "peer" server of cmd/lyload (the Go load tool): netcode-official, a netcode.io
//! implementation nobody here wrote, under the same load as our server, so that lyload can
//! print our packets per CPU-second against theirs.
//!
//! lyload starts this program, points its netcode clients (in another process) at the
//! addresses printed on the first stdout line, and drives the measuring window over stdin:
//!
//! ```text
//! netcode-peer-server --protocol-id <u64> --key <64 hex> --clients <n>
//!                     [--tick-us <us>] [--broadcast-hz <hz> --payload <bytes>]
//! stdout  {"type":"ready","addrs":["127.0.0.1:p",...],"per_server":k}
//! stdout  {"type":"progress","rx":..,"tx":..}            5 times a second: payloads so far
//! stdin   mark      opens the window (every client connected)
//! stdin   report    prints {"type":"report",...} for the window and exits
//! ```
//!
//! The report carries this process's getrusage over the window (CPU, voluntary and
//! involuntary context switches) and the ticks run. `--clients 0` runs one idle server.
//!
//! The game loop has the shape of lyload's loop for our server: a fixed tick, `update`, then
//! every payload received is sent back to the slot it came from (or, with --broadcast-hz, one
//! payload stamped with the wall-clock time goes to every client, at most once a tick).

use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn main() {
    if let Err(e) = run() {
        eprintln!("netcode-peer-server: {e}");
        std::process::exit(1);
    }
}

struct Args {
    protocol_id: u64,
    key: netcode::Key,
    clients: usize,
    tick: Duration,
    broadcast_hz: u32,
    payload: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        protocol_id: 0,
        key: [0; 32],
        clients: 0,
        tick: Duration::from_micros(16_667),
        broadcast_hz: 0,
        payload: 100,
    };
    let mut key_set = false;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().ok_or(format!("{flag} needs a value"))?;
        let num = |v: &str| v.parse::<u64>().map_err(|e| format!("{flag} {v}: {e}"));
        match flag.as_str() {
            "--protocol-id" => a.protocol_id = num(&v)?,
            "--key" => {
                if v.len() != 64 {
                    return Err("--key needs 64 hex digits".into());
                }
                for (i, b) in a.key.iter_mut().enumerate() {
                    *b = u8::from_str_radix(&v[2 * i..2 * i + 2], 16).map_err(|e| format!("--key: {e}"))?;
                }
                key_set = true;
            }
            "--clients" => a.clients = num(&v)? as usize,
            "--tick-us" => a.tick = Duration::from_micros(num(&v)?.max(1)),
            "--broadcast-hz" => a.broadcast_hz = num(&v)? as u32,
            "--payload" => a.payload = num(&v)? as usize,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if !key_set || !(8..=netcode::MAX_PAYLOAD_BYTES).contains(&a.payload) {
        return Err("need --key, --clients and --payload in 8..=1200".into());
    }
    Ok(a)
}

/// User plus system CPU time of this whole process (the stdin thread only ever sleeps in
/// read, so this is the game loop's cost, as lyload measures for our server in-process),
/// and its voluntary and involuntary context switches.
fn usage() -> (u64, u64, u64) {
    // SAFETY: getrusage only writes the struct we hand it.
    let ru = unsafe {
        let mut ru = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_SELF, &mut ru);
        ru
    };
    let tv = |t: libc::timeval| t.tv_sec as u64 * 1_000_000_000 + t.tv_usec as u64 * 1_000;
    (
        tv(ru.ru_utime) + tv(ru.ru_stime),
        ru.ru_nvcsw as u64,
        ru.ru_nivcsw as u64,
    )
}

/// Resident set size in bytes, from /proc (0 if unreadable).
fn rss_bytes() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Bytes in use by malloc: the closest thing to Go's HeapInuse (lyload's figure for ours).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn heap_bytes() -> u64 {
    // SAFETY: mallinfo2 has no preconditions.
    unsafe { libc::mallinfo2() }.uordblks as u64
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn heap_bytes() -> u64 {
    0
}

fn run() -> Result<(), String> {
    let a = parse_args()?;
    let (rss0, heap0) = (rss_bytes(), heap_bytes());

    // netcode-official (like the reference C server) caps a server at 256 slots, so more
    // clients are spread over several servers, each on its own socket, all driven by this
    // one thread: what one process of theirs can do for that many clients.
    // No clients: one server all the same, idle (a slot, as our server's max_clients is 1).
    let servers_needed = a.clients.div_ceil(netcode::MAX_CLIENTS).max(1);
    let per_server = a.clients.div_ceil(servers_needed).max(1);
    let start = Instant::now();
    let mut servers = Vec::with_capacity(servers_needed);
    for _ in 0..servers_needed {
        let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let mut s = netcode::Server::new(addr, a.protocol_id, &a.key, 0.0).map_err(|e| e.to_string())?;
        s.start(per_server).map_err(|e| e.to_string())?;
        servers.push(s);
    }

    let mut out = std::io::stdout().lock();
    let addrs: Vec<String> = servers.iter().map(|s| format!("\"{}\"", s.address())).collect();
    writeln!(
        out,
        r#"{{"type":"ready","addrs":[{}],"per_server":{per_server}}}"#,
        addrs.join(",")
    )
    .unwrap();
    out.flush().unwrap();

    // Commands arrive on another thread so the game loop never blocks on stdin; EOF (lyload
    // gone) ends the process rather than leaving it running.
    let (cmd_tx, cmd_rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if cmd_tx.send(line.trim().to_string()).is_err() {
                return;
            }
        }
        let _ = cmd_tx.send("quit".into());
    });

    let (mut rx, mut tx, mut broadcasts, mut ticks) = (0u64, 0u64, 0u64, 0u64);
    // Set by "mark": (when, (cpu, nvcsw, nivcsw), rx, tx, broadcasts, rss, heap, ticks).
    let mut mark: Option<(Instant, (u64, u64, u64), u64, u64, u64, u64, u64, u64)> = None;
    let mut connected_at_mark = 0usize;
    let bcast_period = (a.broadcast_hz > 0).then(|| Duration::from_secs(1) / a.broadcast_hz);
    let mut next_bcast = Instant::now();
    let mut bcast = vec![0u8; a.payload];
    let mut next = Instant::now();
    let mut next_progress = Instant::now();
    loop {
        next += a.tick;
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
        } else if now - next > a.tick {
            next = now; // fell behind: do not try to catch up
        }
        // Commands first, between two ticks, where lyload reads the clock for our server.
        while let Ok(cmd) = cmd_rx.try_recv() {
            match cmd.as_str() {
                "mark" => {
                    let (rss, heap) = (rss_bytes(), heap_bytes());
                    connected_at_mark = servers.iter().map(|s| s.num_connected_clients()).sum();
                    mark = Some((Instant::now(), usage(), rx, tx, broadcasts, rss, heap, ticks));
                    next_bcast = Instant::now();
                }
                "report" => {
                    let ((cpu1, vcs1, ivcs1), end) = (usage(), Instant::now());
                    let (t0, (cpu0, vcs0, ivcs0), rx0, tx0, b0, rss, heap, ticks0) =
                        mark.ok_or("report before mark")?;
                    let connected: usize = servers.iter().map(|s| s.num_connected_clients()).sum();
                    writeln!(
                        out,
                        concat!(
                            r#"{{"type":"report","cpu_ns":{},"window_ns":{},"rx":{},"tx":{},"broadcasts":{},"#,
                            r#""connected_at_mark":{},"connected":{},"servers":{},"rss_before_bytes":{},"rss_bytes":{},"#,
                            r#""heap_before_bytes":{},"heap_bytes":{},"ticks":{},"nvcsw":{},"nivcsw":{}}}"#
                        ),
                        cpu1 - cpu0,
                        (end - t0).as_nanos(),
                        rx - rx0,
                        tx - tx0,
                        broadcasts - b0,
                        connected_at_mark,
                        connected,
                        servers.len(),
                        rss0,
                        rss,
                        heap0,
                        heap,
                        ticks - ticks0,
                        vcs1 - vcs0,
                        ivcs1 - ivcs0
                    )
                    .unwrap();
                    out.flush().unwrap();
                    return Ok(());
                }
                "quit" => return Ok(()),
                other => return Err(format!("unknown command {other:?}")),
            }
        }
        let t = start.elapsed().as_secs_f64();
        for s in servers.iter_mut() {
            s.update(t);
            while s.next_event().is_some() {}
            for i in 0..s.max_clients() {
                while let Some((data, _seq)) = s.receive_packet(i) {
                    rx += 1;
                    if bcast_period.is_none() && s.send_packet(i, &data).is_ok() {
                        tx += 1;
                    }
                }
            }
        }
        if let (Some(period), Some(_)) = (bcast_period, mark) {
            let now = Instant::now();
            if now >= next_bcast {
                let unix_ns = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64;
                bcast[..8].copy_from_slice(&unix_ns.to_le_bytes());
                for s in servers.iter_mut() {
                    for i in 0..s.max_clients() {
                        if s.client_connected(i) && s.send_packet(i, &bcast).is_ok() {
                            tx += 1;
                        }
                    }
                }
                broadcasts += 1;
                next_bcast += period;
            }
        }
        ticks += 1;

        if Instant::now() >= next_progress {
            writeln!(out, r#"{{"type":"progress","rx":{rx},"tx":{tx}}}"#).unwrap();
            out.flush().unwrap();
            next_progress += Duration::from_millis(200);
        }
    }
}
