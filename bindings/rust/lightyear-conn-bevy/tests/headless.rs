//! Runs the headless example's app (examples/headless.rs) and checks what it saw.

#[path = "../examples/headless.rs"]
#[allow(dead_code)]
mod headless;

use bevy_app::AppExit;

#[test]
fn headless_example_connects_exchanges_and_exits_0() {
    let (exit, demo) = headless::run();
    assert_eq!(exit, AppExit::Success, "{demo:?}");
    assert!(demo.server_saw.contains(&"connected netcode:7".to_string()), "{demo:?}");
    assert!(demo.server_saw.contains(&"connected local:1".to_string()), "{demo:?}");
    assert!(
        demo.server_saw.contains(&"local:1: host says hi".to_string()),
        "{demo:?}"
    );
    for n in 1..=5 {
        assert!(demo.server_saw.contains(&format!("netcode:7: ping {n}")), "{demo:?}");
        assert!(demo.client_got.contains(&format!("pong: ping {n}")), "{demo:?}");
    }
    assert_eq!(demo.client_got.first().map(String::as_str), Some("welcome netcode:7"));
    assert!(demo.local_got.contains(&"pong: host says hi".to_string()), "{demo:?}");
    assert!(demo.frames < 100, "took {} frames", demo.frames);
}
