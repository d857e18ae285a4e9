//! The code of bindings/rust/README.md, "Using the safe API" (scripts/check-doc-snippets.sh checks that the two agree and
//! type-checks this file).
#![allow(unused_variables, unused_mut, unreachable_code, clippy::all)]

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // doc-snippet: begin
    use lightyear_conn::{Client, ClientConfig, Event, EventBuffer, Server, ServerConfig, TokenParams};

    let key = lightyear_conn::generate_key()?;              // shared by your backend and servers
    let mut server = Server::new(&ServerConfig::new(0x1234, &key).bind("127.0.0.1:0"))?;
    server.start()?;
    let addr = server.address(0)?;                          // the port picked for port 0

    // Your backend: one token per client, handed over TLS.
    let token = TokenParams::new(0x1234, 42, &key)
        .public_address(&addr).expire_seconds(30).timeout_seconds(5).user_data(b"level 3")
        .generate()?;
    let mut client = Client::new(&token, &ClientConfig::new().client_id(42))?;
    client.connect()?;

    let mut events = EventBuffer::new(64);                  // reuse across frames
    let dt = 1.0 / 60.0;                                    // f64 seconds: update takes an f64
    loop {
        client.update(dt)?;                                 // time is yours
        server.update(dt)?;
        for event in server.poll_batch(&mut events)? {      // one FFI call for up to 64 events
            match event {
                Event::Connected { client } => { /* ClientId::Netcode(42) */ }
                Event::Disconnected { client, reason } => {}
                Event::Payload { client, data } => server.send(client, data)?,   // data: &[u8]
                Event::Warning { client, warning } => {} // a join refused: tables full (once a second at most)
                _ => {}                                     // Event is #[non_exhaustive]
            }
        }
        if client.is_connected() { client.send(b"hello")?; }
        while let Some(payload) = client.receive()? { /* &[u8], valid until the next receive */ }
    }
    // doc-snippet: end
    Ok(())
}
