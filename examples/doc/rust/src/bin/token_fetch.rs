//! The token-fetch code of bindings/rust/README.md (scripts/check-doc-snippets.sh checks that the two agree and
//! type-checks this file).
#![allow(unused_variables, unused_mut, unreachable_code, clippy::all)]
use lightyear_conn::{Client, ClientConfig, Server, ServerConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let key = lightyear_conn::generate_key()?;
    let jwt = "<the player's credential from your login>";
    // doc-snippet: begin
    use lightyear_conn::{FleetConfig, TokenFetchOptions, TokenRequest, fetch_token};

    // A game server lists itself in the fleet the token service reads (after start):
    let mut server = Server::new(&ServerConfig::new(0x1234, &key).bind("0.0.0.0:40000"))?;
    server.start()?;
    server.register_with_fleet(&FleetConfig::new("127.0.0.1:6379").tags("eu"))?;
    // server.fleet_status()?: Pending, Registered, Failing(error)

    // A player's game asks the token service over HTTPS, pinning its certificate:
    let opts = TokenFetchOptions::new("https://tokens.example.com:8443", jwt)
        .pin_sha256("5e1f...")                     // what `lytokens -dev` prints; or .ca_file("ca.pem")
        .tag("eu");
    let token = fetch_token(&opts)?;               // blocking; from a game loop, poll instead:
    let request = TokenRequest::start(&opts)?;
    let token = loop {
        // ... a frame ...
        if let Some(token) = request.poll()? {     // Ok(None): still fetching
            break token;
        }
    };
    // Errors carry the code: Unauthorized (401/403), RateLimited (429, e.retry_after()),
    // NoServer (503: every server full), Tls (pin or CA mismatch), Timeout, Http; e.http_status().
    let mut client = Client::new(&token, &ClientConfig::new())?;
    client.connect()?;
    // doc-snippet: end
    Ok(())
}
