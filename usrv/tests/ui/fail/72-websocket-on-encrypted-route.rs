// The messages of a WebSocket are not sealed: an `encrypted` route cannot
// take one.
use usrv::ws::WebSocketUpgrade;
use usrv::{route, Response};

#[route("/ws", encrypted)]
fn chat(upgrade: WebSocketUpgrade) -> Response {
    upgrade.on_upgrade(|_socket| async {})
}

fn main() {}
