// The typed call takes the payload of `Json<T>`, a `T`.
use serde::{Deserialize, Serialize};
use usrv::{route, Client, ClientError, Json};

#[derive(Serialize, Deserialize)]
struct Todo {
    title: String,
}

#[route("/todos", methods = ["POST"])]
fn create(todo: Json<Todo>) -> (u16, Json<Todo>) {
    (201, todo)
}

async fn caller(client: &Client) -> Result<Todo, ClientError> {
    create::call(client, Json(Todo { title: "a".into() })).await
}

fn main() {
    let _ = caller;
}
