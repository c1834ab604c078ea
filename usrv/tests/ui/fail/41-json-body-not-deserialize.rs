use usrv::{route, Json};

#[derive(serde::Serialize)]
struct Todo {
    title: String,
}

#[route("/todos", methods = ["POST"])]
fn create(todo: Json<Todo>) -> (u16, Json<Todo>) {
    (201, todo)
}

fn main() {}
