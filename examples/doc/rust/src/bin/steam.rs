//! The Steam code of bindings/rust/README.md (scripts/check-doc-snippets.sh checks that the two agree and
//! type-checks this file).
#![allow(unused_variables, unused_mut, unreachable_code, clippy::all)]
use lightyear_conn::{Server, ServerConfig, Client};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let key = lightyear_conn::generate_key()?;
    // doc-snippet: begin
    use lightyear_conn::steam::{Steam, SteamClientConfig, SteamConfig, SteamServerConfig};

    // The process's one Steam library. Keep the guard: dropping it closes Steam.
    let steam = Steam::open(SteamConfig::new().app_id(480))?;            // the library initialises Steam

    let mut server = Server::new(&ServerConfig::new(0x1234, &key).bind("0.0.0.0:40000"))?;
    server.add_steam(SteamServerConfig::ip("0.0.0.0:27015").max_clients(64))?;  // or ::p2p(virtual_port)
    server.start()?;                       // netcode, Steam and local clients in one poll

    let mut client = Client::steam(SteamClientConfig::ip("203.0.113.7:27015"))?; // or ::p2p(steam_id, vport)
    client.connect()?;                     // then update / send / receive as for any Client
    // server events: Event::Connected { client: ClientId::Steam(steam_id64) }, payloads, disconnects
    // doc-snippet: end
    Ok(())
}
