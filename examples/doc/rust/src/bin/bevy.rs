//! The code of bindings/rust/README.md, "The Bevy plugin" (scripts/check-doc-snippets.sh checks that the two agree and
//! type-checks this file).
#![allow(unused_variables, unused_mut, unreachable_code, clippy::all)]
use bevy_app::{App, Update};
use lightyear_conn::{Client, ClientConfig, Server, ServerConfig, TokenParams};
use lightyear_conn_bevy::*;

fn my_game_systems() {}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let key = lightyear_conn::generate_key()?;
    let mut server = Server::new(&ServerConfig::new(0x1234, &key).bind("127.0.0.1:0"))?;
    server.start()?;
    let token = TokenParams::new(0x1234, 42, &key).public_address(&server.address(0)?).generate()?;
    let client = Client::new(&token, &ClientConfig::new())?;
    // doc-snippet: begin
    App::new()
        .add_plugins(LightyearConnPlugin)
        .insert_resource(NetTime::fixed(1.0 / 60.0))   // default: NetTime::real()
        .insert_resource(NetServer::new(server))        // a started Server
        .insert_resource(NetClient::new(client))        // a connecting or local Client
        .add_systems(Update, my_game_systems);
    // doc-snippet: end
    Ok(())
}
