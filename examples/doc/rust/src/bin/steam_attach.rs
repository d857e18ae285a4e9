//! The steamworks-rs code of bindings/rust/README.md (scripts/check-doc-snippets.sh checks that the two agree and
//! type-checks this file).
#![allow(unused_variables, unused_mut, unreachable_code, clippy::all)]
use lightyear_conn::steam::{Steam, SteamConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // doc-snippet: begin
    // steamworks-rs initialised Steam already (steamworks::Client::init / init_app, or Server::init).
    let steam = Steam::open(SteamConfig::attach_client())?;   // = flavour(Steamworks).init(AttachClient)
    // let steam = Steam::open(SteamConfig::attach_game_server())?;   // for steamworks-rs' Server
    // ... Server::add_steam / Client::steam as above ...
    drop(steam);                                              // before steamworks-rs shuts Steam down
    // doc-snippet: end
    Ok(())
}
