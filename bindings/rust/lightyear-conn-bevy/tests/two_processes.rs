//! The server and client examples as two processes on 127.0.0.1: three clients in one
//! client app ping through the server's echo, disconnect, and both processes exit 0.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The example binaries beside this test's (target/<profile>/examples), built first if a
/// filtered `cargo test` skipped them.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap().join("examples");
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if !path.exists() {
        let status = Command::new(env!("CARGO"))
            .args([
                "build",
                "-p",
                "lightyear-conn-bevy",
                "--example",
                "server",
                "--example",
                "client",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .unwrap();
        assert!(status.success(), "building the examples failed");
    }
    path
}

/// Waits for `child` until `deadline`, killing it then; returns its status (None if
/// killed) and its whole stdout and stderr.
fn finish(mut child: Child, stdout: String, deadline: Instant) -> (Option<ExitStatus>, String) {
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut out = stdout;
    child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    (status, format!("{out}--- stderr\n{err}"))
}

#[test]
fn server_and_client_examples_exchange_over_loopback() {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(60);
    let mut server = Command::new(example("server"))
        .args(["--bind", "127.0.0.1:0", "--exit-after", "3", "--timeout", "40"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    // The first line names the port and the key; read it on a thread so that a silent
    // server cannot hang the test.
    let mut reader = BufReader::new(server.stdout.take().unwrap());
    let (tx, rx) = mpsc::channel();
    let reading = std::thread::spawn(move || {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        tx.send(line).unwrap();
        reader
    });
    let Ok(first) = rx.recv_timeout(Duration::from_secs(20)) else {
        let _ = server.kill();
        panic!("the server printed nothing in 20 s");
    };
    server.stdout = Some(reading.join().unwrap().into_inner());
    let words: Vec<&str> = first.split_whitespace().collect();
    assert!(
        matches!(words.as_slice(), ["listening", addr, "key", _] if addr.starts_with("127.0.0.1:")),
        "{first:?}"
    );

    let client = Command::new(example("client"))
        .args([
            "--server",
            words[1],
            "--key",
            words[3],
            "--clients",
            "3",
            "--pings",
            "3",
            "--timeout",
            "40",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (client_status, client_out) = finish(client, String::new(), deadline);
    let (server_status, server_out) = finish(server, first, deadline);
    let both = format!("== client\n{client_out}\n== server\n{server_out}");
    assert!(client_status.is_some_and(|s| s.success()), "{client_status:?}\n{both}");
    assert!(server_status.is_some_and(|s| s.success()), "{server_status:?}\n{both}");

    for id in 1..=3 {
        assert!(
            client_out.contains(&format!("client {id} connected as netcode:{id}\n")),
            "{both}"
        );
        assert!(
            client_out.contains(&format!("client {id} got \"welcome netcode:{id}\"\n")),
            "{both}"
        );
        for n in 1..=3 {
            assert!(
                client_out.contains(&format!("client {id} got \"ping {n} from {id}\"\n")),
                "{both}"
            );
            assert!(
                server_out.contains(&format!("netcode:{id} says \"ping {n} from {id}\"\n")),
                "{both}"
            );
        }
        assert!(client_out.contains(&format!("client {id} disconnected\n")), "{both}");
    }
    assert!(client_out.contains("all 3 clients done\n"), "{both}");
    assert!(server_out.contains("served 3 clients\n"), "{both}");
    assert!(!client_out.contains("error") && !server_out.contains("error"), "{both}");
    eprintln!("two processes done in {:?}", started.elapsed());
}
