// The type beside each route: visible like the function, usable from
// other modules, raising no warning (private routes whose `uri` and `call`
// are never used included), for every argument and return kind.
#![deny(warnings)]
#![forbid(unsafe_code)]

mod api {
    use serde::{Deserialize, Serialize};
    use usrv::{route, Bytes, Form, HeaderMap, Identity, Json, Kwargs, Multipart, Rejection};

    #[derive(Serialize, Deserialize)]
    pub struct Todo {
        pub title: String,
    }

    /// Public: callable from anywhere.
    #[route("/todos/<int:id>", methods = ["PUT"])]
    pub fn put(id: u32, todo: Json<Todo>, headers: HeaderMap) -> (u16, u32, Json<Todo>) {
        let _ = headers;
        (200, id, todo)
    }

    #[route("/crate/<path:rest>")]
    pub(crate) async fn in_crate(rest: String, tags: Vec<String>, page: Option<u8>) -> String {
        format!("{rest}{tags:?}{page:?}")
    }

    // Private and never called: no dead-code warning for its items.
    #[route("/private", methods = ["POST"], signed)]
    fn private(
        form: Form<Todo>,
        raw: Bytes,
        sender: Identity,
        rest: Kwargs,
    ) -> Result<(u16, String, usize, Kwargs), Rejection> {
        Ok((200, form.0.title, raw.len(), rest)).map(|ok| {
            let _ = sender;
            ok
        })
    }

    #[route("/upload", methods = ["POST"], encrypted, blocking)]
    fn upload(parts: Multipart) -> usrv::Response {
        let _ = parts;
        usrv::Response::new(usrv::Body::empty())
    }

    #[route("/")]
    pub fn index() {}
}

async fn calls(client: &usrv::Client) -> Result<(), usrv::ClientError> {
    let todo = api::Todo { title: "a".into() };
    let (id, todo): (u32, api::Todo) = api::put::call(client, 1, todo).await?;
    let _ = (id, todo.title);
    let text: String = api::in_crate::call(client, "a/b".into(), vec![], None).await?;
    let _ = text;
    api::index::call(client).await?;
    let request = api::index::request(client)?;
    let _ = request.timeout(std::time::Duration::from_secs(1));
    Ok(())
}

fn main() {
    assert_eq!(api::put::uri(7), "/todos/7");
    assert_eq!(api::in_crate::uri("a b/c", ["x"], Some(2)), "/crate/a%20b/c?tags=x&page=2");
    assert_eq!(api::index::uri(), "/");
    let routes: [&'static usrv::Route; 3] = [api::put::ROUTE, api::in_crate::ROUTE, api::index::ROUTE];
    let _ = usrv::App::with_routes(routes);
    let _ = calls;
}
