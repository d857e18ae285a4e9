//! The browser code of bindings/rust/README.md (scripts/check-doc-snippets.sh checks that the two agree and
//! type-checks this file).
#![allow(unused_variables, unused_mut, unreachable_code, clippy::all)]
use lightyear_conn::{Server, ServerConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let key = lightyear_conn::generate_key()?;
    // doc-snippet: begin
    use std::time::Duration;
    use lightyear_conn::WebOptions;

    // UDP for native clients, WebTransport and WebSocket (TLS) for browsers: one server, one netcode.
    let config = ServerConfig::new(0x1234, &key)
        .bind("udp://0.0.0.0:40000?public=203.0.113.5:40000")
        .bind("wt://0.0.0.0:4433?public=203.0.113.5:4433")
        .bind("wss://0.0.0.0:443?public=203.0.113.5:443")
        .web_options(
            WebOptions::new()
                .cert("fullchain.pem", "privkey.pem") // wss:// needs them; wt:// self-signs without
                .allowed_origins("https://game.example.com")
                .path("/netcode")
                .idle_timeout(Duration::from_secs(10)),
        );
    let mut server = Server::new(&config)?; // bad options: Err(InvalidArgument), the message says which
    server.start()?;

    // wt:// without a certificate file: hand the page these (SHA-256, newest first) with its
    // token, for WebTransport's serverCertificateHashes. They change: fetch them fresh per page.
    let hashes: Vec<[u8; 32]> = server.web_cert_hashes()?;
    server.rotate_web_cert()?; // a key may have leaked: a new certificate now, the old hash kept

    let stats = server.web_stats()?; // sessions, refusals, closes and drops, by reason

    // Bevy: the plugin takes the same options.
    use lightyear_conn_bevy::ServerPlugin;
    let plugin = ServerPlugin::new(config.clone()).web_options(WebOptions::new().path("/netcode"));
    // doc-snippet: end
    Ok(())
}
