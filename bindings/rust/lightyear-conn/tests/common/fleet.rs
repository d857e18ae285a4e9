//! The token-delivery fixture of the Rust tests: `tests/fleet_fixture.sh` of the repository
//! starts a redis-server and two lytokens replicas over TLS (real parts, on 127.0.0.1), once
//! per test process. Its watchdog stops them when this process exits.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Debug)]
pub struct Fleet {
    pub redis: String,
    pub prefix: String,
    /// Replica 1 ("https://127.0.0.1:port") and replica 2 (".../v1/token").
    pub urls: [String; 2],
    /// Hex SHA-256 of the replicas' certificate.
    pub pin: String,
    /// The certificate's PEM file.
    pub ca_file: String,
    /// Signed with another secret: the service answers 401.
    pub bad_credential: String,
    /// The servers' key and protocol id, as the replicas make tokens for.
    pub private_key: [u8; 32],
    pub protocol_id: u64,
    credentials: Vec<String>,
    next: AtomicUsize,
}

impl Fleet {
    /// A valid credential with a subject no other call got (netcode refuses a second
    /// connection of one client id).
    pub fn credential(&self) -> String {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        self.credentials[i % self.credentials.len()].clone()
    }
}

fn hex_key(s: &str) -> [u8; 32] {
    let mut key = [0u8; 32];
    for (i, b) in key.iter_mut().enumerate() {
        *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex key");
    }
    key
}

/// Starts the fixture on first use.
pub fn fleet() -> &'static Fleet {
    static FLEET: OnceLock<Fleet> = OnceLock::new();
    FLEET.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..");
        let script = root.join("tests/fleet_fixture.sh");
        let dir = std::env::temp_dir().join(format!("ly_rs_fleet_{}", std::process::id()));
        let out = Command::new("bash")
            .arg(&script)
            .arg("start")
            .arg(&dir)
            .arg(std::process::id().to_string())
            .output()
            .unwrap_or_else(|e| panic!("could not run {}: {e}", script.display()));
        assert!(
            out.status.success(),
            "fleet_fixture.sh start failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let env: HashMap<String, String> = std::fs::read_to_string(dir.join("env"))
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
            .collect();
        let credentials = std::fs::read_to_string(&env["LY_FLEET_CREDENTIALS"])
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
        Fleet {
            redis: env["LY_FLEET_REDIS"].clone(),
            prefix: env["LY_FLEET_PREFIX"].clone(),
            urls: [env["LY_FLEET_URL1"].clone(), env["LY_FLEET_URL2"].clone()],
            pin: env["LY_FLEET_PIN"].clone(),
            ca_file: env["LY_FLEET_CA"].clone(),
            bad_credential: env["LY_FLEET_BAD_CREDENTIAL"].clone(),
            private_key: hex_key(&env["LY_FLEET_PRIVATE_KEY"]),
            protocol_id: u64::from_str_radix(&env["LY_FLEET_PROTOCOL_ID"], 16).unwrap(),
            credentials,
            next: AtomicUsize::new(0),
        }
    })
}
