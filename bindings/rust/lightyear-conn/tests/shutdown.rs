//! shutdown() invalidates every handle. Its own test binary (a process of its own), since it
//! would break tests running in parallel in the same process.

use lightyear_conn::*;

#[test]
fn shutdown_invalidates_everything_and_the_library_stays_usable() {
    let key = generate_key().unwrap();
    let mut server = Server::new(&ServerConfig::new(1, &key).bind("127.0.0.1:0")).unwrap();
    server.start().unwrap();
    let addr = server.address(0).unwrap();
    let local = server.connect_local(1).unwrap();
    let token = TokenParams::new(1, 2, &key).public_address(&addr).generate().unwrap();
    let mut client = Client::new(&token, &ClientConfig::new()).unwrap();
    client.connect().unwrap();

    shutdown();

    for e in [
        server.update(0.1).unwrap_err(),
        server.is_running().unwrap_err(),
        server.send(ClientId::Local(1), b"x").unwrap_err(),
        local.send(b"x").unwrap_err(),
        client.update(0.1).unwrap_err(),
        client.state().unwrap_err(),
    ] {
        assert_eq!(e.code, ErrorCode::InvalidHandle, "{e}");
    }
    assert!(!client.is_connected());
    // Dropping dead handles is fine.
    drop(local);
    drop(client);
    drop(server);

    // The library works again, and the port is free again.
    let mut again = Server::new(&ServerConfig::new(1, &key).bind(&addr)).unwrap();
    again.start().unwrap();
    assert_eq!(again.address(0).unwrap(), addr);
    shutdown();
    shutdown();
}
