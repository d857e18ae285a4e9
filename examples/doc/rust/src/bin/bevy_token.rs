//! The token-source code of bindings/rust/README.md, "The Bevy plugins" (scripts/check-doc-snippets.sh checks
//! that the two agree and type-checks this file).
#![allow(unused_variables, unused_mut, unreachable_code, clippy::all)]
use bevy_app::{App, Startup, Update};
use bevy_ecs::prelude::*;
use lightyear_conn::{ClientConfig, TokenFetchOptions};
use lightyear_conn_bevy::*;

fn main() {
    let jwt = String::from("<the player's credential>");
    let mut app = App::new();
    // doc-snippet: begin
    let options = TokenFetchOptions::new("https://tokens.example.com:8443", jwt).pin_sha256("5e1f...");
    app.add_plugins(ClientPlugin::new())
        .add_systems(Startup, move |mut commands: Commands| {
            // Fetched on a library thread, polled each frame; connects when the token is in.
            commands.spawn(NetClient::netcode(TokenSource::Service(options.clone()), ClientConfig::new()));
        })
        .add_systems(Update, |mut failed: MessageReader<ClientTokenFetchFailed>| {
            for f in failed.read() {
                // f.error.code: Unauthorized, RateLimited, NoServer, Tls, Timeout, Http, Socket;
                // write ConnectClient { entity: f.entity } to try again.
            }
        });
    // Servers: ServerPlugin::new(config).fleet(FleetConfig::new("127.0.0.1:6379")) registers at each start.
    // doc-snippet: end
}
