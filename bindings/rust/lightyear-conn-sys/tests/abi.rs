//! Checks the hand-written declarations of this crate against include/lightyear_conn.h.
//!
//! The header is parsed for its structs (with their fields, in order), enums, macros and
//! function prototypes. A C program generated from that parse is compiled with the system C
//! compiler (`$CC`, else `cc`) and prints, for every struct, its size, alignment and the
//! offset and size of every field, the size of every enum type, and the value of every
//! constant. The Rust side computes the same with `size_of`, `align_of` and `offset_of!`.
//! Anything the header has that this crate lacks (or the reverse) fails the test, so a new
//! struct field, constant or function in the header must be bound before the tests pass.
//!
//! Function prototypes are compared type by type with `FUNCTIONS`, after mapping C types
//! to the Rust types an FFI declaration must use (`uint32_t` -> `u32`,
//! `const uint8_t *` -> `*const u8`, `ly_server **` -> `*mut *mut ly_server`, ...).

use std::collections::{BTreeMap, BTreeSet};
use std::mem::{align_of, offset_of, size_of};
use std::path::{Path, PathBuf};
use std::process::Command;

use lightyear_conn_sys::*;

fn header_path() -> PathBuf {
    let dir = env!("LIGHTYEAR_CONN_INCLUDE_DIR");
    assert!(
        !dir.is_empty(),
        "the ABI test needs the repository's include/lightyear_conn.h (build from the repository)"
    );
    Path::new(dir).join("lightyear_conn.h")
}

fn header_text() -> String {
    let text = std::fs::read_to_string(header_path()).expect("read lightyear_conn.h");
    strip_comments(&text)
}

fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let block = rest.find("/*");
        let line = rest.find("//");
        match (block, line) {
            (Some(b), l) if l.is_none_or(|l| b < l) => {
                out.push_str(&rest[..b]);
                let end = rest[b + 2..].find("*/").expect("unterminated comment") + b + 4;
                out.push(' ');
                rest = &rest[end..];
            }
            (_, Some(l)) => {
                out.push_str(&rest[..l]);
                rest = &rest[l..];
                rest = &rest[rest.find('\n').unwrap_or(rest.len())..];
            }
            _ => {
                out.push_str(rest);
                return out;
            }
        }
    }
}

// ------------------------------------------------------------------ header parsing

struct HeaderStruct {
    name: String,
    fields: Vec<String>,
}

struct Header {
    structs: Vec<HeaderStruct>,
    enums: Vec<String>,
    /// Every LY_* macro with a value and every enum constant.
    constants: BTreeSet<String>,
    /// name -> (return type, parameter types), all as C text.
    functions: BTreeMap<String, (String, Vec<String>)>,
}

fn parse_header() -> Header {
    let text = header_text();
    let mut h = Header {
        structs: Vec::new(),
        enums: Vec::new(),
        constants: BTreeSet::new(),
        functions: BTreeMap::new(),
    };

    // #define LY_NAME value (skipping the include guard, LY_API and function-like macros).
    for line in text.lines() {
        let line = line.trim();
        let Some(rest) = line.strip_prefix("#define ") else {
            continue;
        };
        let mut parts = rest.splitn(2, char::is_whitespace);
        let name = parts.next().unwrap();
        let value = parts.next().unwrap_or("").trim();
        if name.starts_with("LY_") && !name.contains('(') && name != "LY_API" && !value.is_empty() {
            h.constants.insert(name.to_string());
        }
    }

    // typedef struct NAME { fields } NAME;   and   typedef enum NAME { A = 1, ... } NAME;
    let mut rest = text.as_str();
    while let Some(pos) = rest.find("typedef ") {
        rest = &rest[pos + "typedef ".len()..];
        let is_struct = rest.starts_with("struct ");
        let is_enum = rest.starts_with("enum ");
        let Some(open) = rest.find('{') else { break };
        let semicolon = rest.find(';').unwrap();
        if (!is_struct && !is_enum) || semicolon < open {
            continue; // an opaque `typedef struct ly_server ly_server;`
        }
        let name = rest[..open].split_whitespace().nth(1).unwrap().to_string();
        let close = rest.find('}').unwrap();
        let body = &rest[open + 1..close];
        if is_struct {
            let fields = body
                .split(';')
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .map(|f| {
                    let decl = f.split('[').next().unwrap();
                    decl.rsplit(|c: char| c.is_whitespace() || c == '*')
                        .next()
                        .unwrap()
                        .to_string()
                })
                .collect();
            h.structs.push(HeaderStruct { name, fields });
        } else {
            for item in body.split(',').map(str::trim).filter(|i| !i.is_empty()) {
                let constant = item.split('=').next().unwrap().trim();
                h.constants.insert(constant.to_string());
            }
            h.enums.push(name);
        }
        rest = &rest[close..];
    }

    // LY_API <ret> <name>(<params>);   (preprocessor lines left out: LY_API's own #define)
    let code: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut rest = code.as_str();
    while let Some(pos) = rest.find("LY_API ") {
        rest = &rest[pos + "LY_API ".len()..];
        let Some(end) = rest.find(';') else { break };
        let mut decl = rest[..end].split_whitespace().collect::<Vec<_>>().join(" ");
        rest = &rest[end..];
        // A name in parentheses, `void (ly_x)(...)`, is kept from a macro of the same name.
        if let Some(open) = decl.find("(ly_") {
            if let Some(close) = decl[open..].find(")(").map(|c| open + c) {
                decl = format!("{}{}{}", &decl[..open], &decl[open + 1..close], &decl[close + 1..]);
            }
        }
        let Some(paren) = decl.find('(') else { continue }; // #define LY_API ...
        let head = &decl[..paren];
        let params = &decl[paren + 1..decl.rfind(')').unwrap()];
        let name_start = head.rfind(|c: char| c.is_whitespace() || c == '*').unwrap() + 1;
        let name = head[name_start..].to_string();
        let ret = head[..name_start].trim().to_string();
        let params = if params.trim() == "void" {
            Vec::new()
        } else {
            params
                .split(',')
                .map(|p| {
                    // Drop the parameter name: the last identifier.
                    let p = p.trim();
                    let cut = p.rfind(|c: char| c.is_whitespace() || c == '*').unwrap() + 1;
                    p[..cut].trim().to_string()
                })
                .collect()
        };
        h.functions.insert(name, (ret, params));
    }
    h
}

/// The Rust type an extern declaration must use for a C type.
fn rust_type_for(c: &str) -> String {
    let c = c.trim();
    let stars = c.matches('*').count();
    let base = c.replace('*', " ");
    let words: Vec<&str> = base.split_whitespace().collect();
    let is_const = words.first() == Some(&"const");
    let base = *words.iter().find(|w| **w != "const").unwrap();
    let mapped = match base {
        "void" if stars == 0 => "()".to_string(),
        "void" => "c_void".to_string(),
        "int" => "c_int".to_string(),
        "char" => "c_char".to_string(),
        "double" => "f64".to_string(),
        "float" => "f32".to_string(),
        "uint8_t" => "u8".to_string(),
        "uint16_t" => "u16".to_string(),
        "uint32_t" => "u32".to_string(),
        "uint64_t" => "u64".to_string(),
        "int8_t" => "i8".to_string(),
        "int16_t" => "i16".to_string(),
        "int32_t" => "i32".to_string(),
        "int64_t" => "i64".to_string(),
        "size_t" => "usize".to_string(),
        other if other.starts_with("ly_") => other.to_string(),
        other => panic!("no Rust mapping for C type {other:?} (in {c:?})"),
    };
    let mut out = mapped;
    for level in 0..stars {
        // `const T *`: the const belongs to the pointee (the innermost pointer).
        let ptr = if level == 0 && is_const { "*const " } else { "*mut " };
        out = format!("{ptr}{out}");
    }
    out
}

fn normalize(ty: &str) -> String {
    ty.chars().filter(|c| !c.is_whitespace()).collect()
}

// ------------------------------------------------------------------ the Rust side

struct RustStruct {
    name: &'static str,
    size: usize,
    align: usize,
    /// (name, offset, size)
    fields: Vec<(&'static str, usize, usize)>,
}

const fn size_of_field<T, F>(_: fn(&T) -> &F) -> usize {
    size_of::<F>()
}

macro_rules! rust_struct {
    ($t:ident { $($f:ident),* $(,)? }) => {
        RustStruct {
            name: stringify!($t),
            size: size_of::<$t>(),
            align: align_of::<$t>(),
            fields: vec![$((
                stringify!($f).trim_start_matches("r#"),
                offset_of!($t, $f),
                size_of_field::<$t, _>(|s: &$t| &s.$f),
            )),*],
        }
    };
}

fn rust_structs() -> Vec<RustStruct> {
    vec![
        rust_struct!(ly_client_id { id, kind, reserved }),
        rust_struct!(ly_token_params {
            struct_size,
            protocol_id,
            client_id,
            private_key,
            public_addresses,
            internal_addresses,
            expire_seconds,
            timeout_seconds,
            user_data,
            user_data_size,
        }),
        rust_struct!(ly_token_info {
            struct_size,
            protocol_id,
            create_timestamp,
            expire_timestamp,
            timeout_seconds,
            num_addresses,
        }),
        rust_struct!(ly_server_config {
            struct_size,
            protocol_id,
            private_key,
            bind_addresses,
            public_addresses,
            max_clients,
            batch_sends,
            max_token_lifetime_seconds,
            token_history_size,
        }),
        rust_struct!(ly_conditioner_config {
            struct_size,
            reserved,
            latency_ms,
            jitter_ms,
            loss,
            duplicate,
            reorder,
            reorder_delay_ms,
            seed,
            burst_model,
            reserved2,
            burst_p,
            burst_r,
            burst_loss_good,
            burst_loss_bad,
        }),
        rust_struct!(ly_stats {
            struct_size,
            reserved,
            packets_sent,
            packets_received,
            bytes_sent,
            bytes_received,
            dropped_malformed,
            dropped_replayed,
            dropped_decrypt_failed,
            dropped_unknown_address,
            dropped_queue_full,
            dropped_rejected,
            seconds_since_last_receive,
            dropped_oversized,
            dropped_table_full,
        }),
        rust_struct!(ly_event {
            r#type,
            reason,
            client,
            payload_size,
            payload_offset
        }),
        rust_struct!(ly_client_config {
            struct_size,
            client_id,
            receive_queue_size
        }),
        rust_struct!(ly_steam_config {
            struct_size,
            flavour,
            init,
            app_id,
            library_path,
            game_server_ip,
            game_port,
            query_port,
            game_server_version,
            allow_ip_without_auth,
            timeout_initial_ms,
            timeout_connected_ms,
            debug_output_level,
            send_rate_min,
            send_rate_max,
            send_buffer_size,
        }),
        rust_struct!(ly_connection_status {
            struct_size,
            state,
            ping_ms,
            quality_local,
            quality_remote,
            out_packets_per_sec,
            out_bytes_per_sec,
            in_packets_per_sec,
            in_bytes_per_sec,
            send_rate_bytes_per_sec,
            pending_unreliable,
            pending_reliable,
            sent_unacked_reliable,
            reserved,
            queue_time_us,
        }),
        rust_struct!(ly_token_fetch_options {
            struct_size,
            url,
            credential,
            pin_sha256,
            ca_file,
            tag,
            timeout_ms,
        }),
        rust_struct!(ly_fleet_config {
            struct_size,
            redis_url,
            key_prefix,
            server_id,
            tags,
            public_addresses,
            ttl_ms,
        }),
        rust_struct!(ly_steam_server_config {
            struct_size,
            mode,
            address,
            virtual_port,
            max_clients,
            max_payload,
        }),
        rust_struct!(ly_web_options {
            struct_size,
            cert_validity_seconds,
            cert_file,
            key_file,
            allowed_origins,
            path,
            max_sessions,
            max_sessions_per_ip,
            recv_queue,
            session_recv_queue,
            send_queue,
            handshake_timeout_ms,
            idle_timeout_ms,
            write_timeout_ms,
        }),
        rust_struct!(ly_web_stats {
            struct_size,
            reserved,
            sessions_active,
            sessions_accepted,
            refused_full,
            refused_per_ip,
            refused_origin,
            refused_handshake,
            closed_idle,
            closed_slow,
            closed_peer,
            closed_server,
            received,
            recv_oversized,
            recv_text,
            recv_queue_full,
            sent,
            send_no_session,
            send_oversized,
            send_queue_full,
            send_failed,
        }),
        rust_struct!(ly_steam_client_config {
            struct_size,
            mode,
            address,
            server_steam_id,
            virtual_port,
            max_payload,
        }),
    ]
}

fn rust_enums() -> BTreeMap<&'static str, usize> {
    BTreeMap::from([
        ("ly_kind", size_of::<ly_kind>()),
        ("ly_client_state", size_of::<ly_client_state>()),
        ("ly_disconnect_reason", size_of::<ly_disconnect_reason>()),
        ("ly_conditioner_preset", size_of::<ly_conditioner_preset>()),
        ("ly_burst_model", size_of::<ly_burst_model>()),
        ("ly_event_type", size_of::<ly_event_type>()),
        ("ly_warning", size_of::<ly_warning>()),
        ("ly_steam_flavour", size_of::<ly_steam_flavour>()),
        ("ly_steam_init", size_of::<ly_steam_init>()),
        ("ly_steam_mode", size_of::<ly_steam_mode>()),
    ])
}

macro_rules! constants {
    ($($c:ident),* $(,)?) => {
        BTreeMap::from([$((stringify!($c), $c as i128)),*])
    };
}

fn rust_constants() -> BTreeMap<&'static str, i128> {
    constants![
        LY_VERSION_MAJOR,
        LY_VERSION_MINOR,
        LY_VERSION_PATCH,
        LY_VERSION,
        LY_OK,
        LY_ERR_INVALID_HANDLE,
        LY_ERR_INVALID_ARGUMENT,
        LY_ERR_BUFFER_TOO_SMALL,
        LY_ERR_PAYLOAD_SIZE,
        LY_ERR_NOT_CONNECTED,
        LY_ERR_UNKNOWN_CLIENT,
        LY_ERR_INVALID_TOKEN,
        LY_ERR_INVALID_KEY,
        LY_ERR_NOT_RUNNING,
        LY_ERR_ALREADY_ACTIVE,
        LY_ERR_SOCKET,
        LY_ERR_INTERNAL,
        LY_ERR_STEAM_UNAVAILABLE,
        LY_ERR_STEAM_INIT_FAILED,
        LY_ERR_SEND_BUFFER_FULL,
        LY_ERR_UNAUTHORIZED,
        LY_ERR_RATE_LIMITED,
        LY_ERR_NO_SERVER,
        LY_ERR_TLS,
        LY_ERR_TIMEOUT,
        LY_ERR_HTTP,
        LY_TOKEN_PENDING,
        LY_FLEET_PENDING,
        LY_FLEET_REGISTERED,
        LY_WEB_CERT_HASH_SIZE,
        LY_KEY_SIZE,
        LY_CONNECT_TOKEN_SIZE,
        LY_USER_DATA_SIZE,
        LY_MAX_PAYLOAD_SIZE,
        LY_MAX_SERVER_ADDRESSES,
        LY_ADDRESS_STRING_SIZE,
        LY_NEVER_EXPIRES,
        LY_KIND_NETCODE,
        LY_KIND_STEAM,
        LY_KIND_LOCAL,
        LY_STATE_CONNECT_TOKEN_EXPIRED,
        LY_STATE_INVALID_CONNECT_TOKEN,
        LY_STATE_CONNECTION_TIMED_OUT,
        LY_STATE_CONNECTION_RESPONSE_TIMED_OUT,
        LY_STATE_CONNECTION_REQUEST_TIMED_OUT,
        LY_STATE_CONNECTION_DENIED,
        LY_STATE_DISCONNECTED,
        LY_STATE_SENDING_CONNECTION_REQUEST,
        LY_STATE_SENDING_CONNECTION_RESPONSE,
        LY_STATE_CONNECTED,
        LY_REASON_NONE,
        LY_REASON_LOCAL,
        LY_REASON_REMOTE,
        LY_REASON_TIMED_OUT,
        LY_REASON_SERVER_STOPPED,
        LY_REASON_DENIED,
        LY_REASON_REQUEST_TIMED_OUT,
        LY_REASON_RESPONSE_TIMED_OUT,
        LY_REASON_TOKEN_EXPIRED,
        LY_REASON_INVALID_TOKEN,
        LY_REASON_TRANSPORT_ERROR,
        LY_CONDITIONER_OFF,
        LY_CONDITIONER_GOOD,
        LY_CONDITIONER_AVERAGE,
        LY_CONDITIONER_POOR,
        LY_BURST_NONE,
        LY_BURST_GILBERT,
        LY_BURST_GILBERT_ELLIOTT,
        LY_EVENT_NONE,
        LY_EVENT_CONNECTED,
        LY_EVENT_DISCONNECTED,
        LY_EVENT_PAYLOAD,
        LY_EVENT_WARNING,
        LY_WARNING_NONE,
        LY_WARNING_TOKEN_HISTORY_FULL,
        LY_WARNING_PENDING_FULL,
        LY_STEAM_AUTO,
        LY_STEAM_STEAMWORKS,
        LY_STEAM_GNS,
        LY_STEAM_INIT_CLIENT,
        LY_STEAM_INIT_GAME_SERVER,
        LY_STEAM_ATTACH_CLIENT,
        LY_STEAM_ATTACH_GAME_SERVER,
        LY_STEAM_MODE_IP,
        LY_STEAM_MODE_P2P,
    ]
}

// ------------------------------------------------------------------ the C side

/// Compiles and runs a C program printing `key value` lines; returns them as a map.
fn c_layout(h: &Header) -> BTreeMap<String, i128> {
    let mut src = String::from(
        "#include <stdio.h>\n#include <stddef.h>\n#include <stdalign.h>\n#include \"lightyear_conn.h\"\n\
         #define P(name, v) printf(\"%s %llu\\n\", name, (unsigned long long)(v))\n\
         #define C(name, v) do { if ((v) < 0) printf(\"%s %lld\\n\", name, (long long)(v)); \
         else printf(\"%s %llu\\n\", name, (unsigned long long)(v)); } while (0)\n\
         int main(void) {\n",
    );
    for s in &h.structs {
        let n = &s.name;
        src += &format!("  P(\"sizeof {n}\", sizeof({n}));\n  P(\"alignof {n}\", alignof({n}));\n");
        for f in &s.fields {
            src += &format!(
                "  P(\"offsetof {n}.{f}\", offsetof({n}, {f}));\n  P(\"sizeof {n}.{f}\", sizeof((({n} *)0)->{f}));\n"
            );
        }
    }
    for e in &h.enums {
        src += &format!("  P(\"sizeof {e}\", sizeof({e}));\n");
    }
    for c in &h.constants {
        src += &format!("  C(\"const {c}\", {c});\n");
    }
    src += "  return 0;\n}\n";

    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("abi");
    std::fs::create_dir_all(&dir).unwrap();
    let c_file = dir.join("layout.c");
    let exe = dir.join("layout");
    std::fs::write(&c_file, &src).unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let out = Command::new(&cc)
        .arg("-std=c11")
        .arg("-Wall")
        .arg("-I")
        .arg(header_path().parent().unwrap())
        .arg(&c_file)
        .arg("-o")
        .arg(&exe)
        .output()
        .unwrap_or_else(|e| panic!("could not run the C compiler {cc:?}: {e}"));
    assert!(
        out.status.success(),
        "compiling {} failed:\n{}",
        c_file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(&exe).output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (k, v) = l.rsplit_once(' ').unwrap();
            (k.to_string(), v.parse::<i128>().unwrap())
        })
        .collect()
}

// ------------------------------------------------------------------ tests

#[test]
fn struct_layouts_and_constants_match_the_c_header() {
    let h = parse_header();
    let c = c_layout(&h);
    let mut errors = Vec::new();
    let mut check = |key: String, rust: i128| match c.get(&key) {
        Some(&cv) if cv == rust => {}
        Some(&cv) => errors.push(format!("{key}: C {cv}, Rust {rust}")),
        None => errors.push(format!("{key}: not printed by the C program")),
    };

    let rust = rust_structs();
    let header_names: BTreeSet<_> = h.structs.iter().map(|s| s.name.as_str()).collect();
    let rust_names: BTreeSet<_> = rust.iter().map(|s| s.name).collect();
    assert_eq!(
        header_names, rust_names,
        "structs in the header vs. in lightyear-conn-sys"
    );
    for hs in &h.structs {
        let rs = rust.iter().find(|r| r.name == hs.name).unwrap();
        let rust_fields: Vec<_> = rs.fields.iter().map(|f| f.0).collect();
        assert_eq!(hs.fields, rust_fields, "fields of {} (names and order)", hs.name);
        check(format!("sizeof {}", rs.name), rs.size as i128);
        check(format!("alignof {}", rs.name), rs.align as i128);
        for &(f, off, size) in &rs.fields {
            check(format!("offsetof {}.{f}", rs.name), off as i128);
            check(format!("sizeof {}.{f}", rs.name), size as i128);
        }
    }

    let enums = rust_enums();
    let header_enums: BTreeSet<_> = h.enums.iter().map(String::as_str).collect();
    assert_eq!(header_enums, enums.keys().copied().collect(), "enum types");
    for (e, size) in enums {
        check(format!("sizeof {e}"), size as i128);
    }

    let consts = rust_constants();
    let header_consts: BTreeSet<_> = h.constants.iter().map(String::as_str).collect();
    let rust_consts: BTreeSet<_> = consts.keys().copied().collect();
    assert_eq!(
        header_consts,
        rust_consts,
        "constants: only in the header {:?}, only in Rust {:?}",
        header_consts.difference(&rust_consts).collect::<Vec<_>>(),
        rust_consts.difference(&header_consts).collect::<Vec<_>>()
    );
    for (name, value) in consts {
        check(format!("const {name}"), value);
    }

    assert!(errors.is_empty(), "ABI mismatches:\n{}", errors.join("\n"));
    // Spot checks the header states in words.
    assert_eq!(size_of::<ly_event>(), 32);
    assert_eq!(size_of::<ly_client_id>(), 16);
    println!(
        "checked {} structs, {} enums, {} constants against the C compiler",
        h.structs.len(),
        h.enums.len(),
        h.constants.len()
    );
}

#[test]
fn function_signatures_match_the_c_header() {
    let h = parse_header();
    let declared: BTreeMap<_, _> = FUNCTIONS.iter().map(|f| (f.name, f)).collect();
    let header_names: BTreeSet<_> = h.functions.keys().map(String::as_str).collect();
    let rust_names: BTreeSet<_> = declared.keys().copied().collect();
    assert_eq!(
        header_names,
        rust_names,
        "functions: only in the header {:?}, only in Rust {:?}",
        header_names.difference(&rust_names).collect::<Vec<_>>(),
        rust_names.difference(&header_names).collect::<Vec<_>>()
    );
    let mut errors = Vec::new();
    for (name, (c_ret, c_params)) in &h.functions {
        let f = declared[name.as_str()];
        let want_ret = rust_type_for(c_ret);
        if normalize(&want_ret) != normalize(f.ret) {
            errors.push(format!("{name}: returns {c_ret} (Rust {want_ret}), declared {}", f.ret));
        }
        let want: Vec<_> = c_params.iter().map(|p| rust_type_for(p)).collect();
        let have: Vec<_> = f.params.to_vec();
        if want.len() != have.len() || want.iter().zip(&have).any(|(w, h)| normalize(w) != normalize(h)) {
            errors.push(format!(
                "{name}: header ({c_params:?}) means {want:?}, declared {have:?}"
            ));
        }
    }
    assert!(errors.is_empty(), "signature mismatches:\n{}", errors.join("\n"));
    println!("checked {} function signatures", h.functions.len());
}

#[test]
fn every_declared_function_links_and_the_version_matches() {
    let mut n = 0;
    for_each_function(|name, addr| {
        assert!(!addr.is_null(), "{name}");
        n += 1;
    });
    assert_eq!(n, FUNCTIONS.len());
    // SAFETY: ly_version takes nothing and never fails.
    let v = unsafe { ly_version() };
    assert_eq!(v >> 16, LY_VERSION_MAJOR, "major version of the loaded library");
    assert_eq!(
        v, LY_VERSION,
        "the loaded library is the one these declarations were written for"
    );
}

#[test]
fn rust_type_mapping_examples() {
    assert_eq!(rust_type_for("const uint8_t *"), "*const u8");
    assert_eq!(rust_type_for("ly_server **"), "*mut *mut ly_server");
    assert_eq!(rust_type_for("const ly_server_config *"), "*const ly_server_config");
    assert_eq!(rust_type_for("void"), "()");
    assert_eq!(rust_type_for("ly_client_id"), "ly_client_id");
}
