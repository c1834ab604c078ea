// A WebSocket handshake is a GET request: a route that does not answer GET
// would never see one.
use usrv::{route, Response, WebSocketUpgrade};

#[route("/ws", methods = ["POST", "PUT"])]
fn chat(upgrade: WebSocketUpgrade) -> Response {
    upgrade.on_upgrade(|_socket| async {})
}

fn main() {}
