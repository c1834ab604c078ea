//! Any method and request target through the router and the path
//! converters: never a 5xx, and a route's answer matches its path.
#![no_main]

use bytes::Bytes;
use http_body_util::Full;
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    method: u8,
    custom_method: String,
    target: String,
}

const METHODS: [&str; 9] = [
    "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT",
];

fuzz_target!(|input: Input| {
    let method = match METHODS.get(usize::from(input.method)) {
        Some(method) => http::Method::from_bytes(method.as_bytes()).unwrap(),
        None => match http::Method::from_bytes(input.custom_method.as_bytes()) {
            Ok(method) => method,
            Err(_) => return,
        },
    };
    let target = format!("/{}", input.target);
    let Ok(uri) = target.parse::<http::Uri>() else {
        return;
    };
    let Some(path) = uri.path_and_query().map(|p| p.path().to_owned()) else {
        return;
    };
    let Ok(request) = http::Request::builder()
        .method(method.clone())
        .uri(uri)
        .body(Full::new(Bytes::new()))
    else {
        return;
    };
    let (status, body) = usrv_fuzz::serve(request);
    // `/users/<int:id>` answers the id it parsed from the segment.
    if method == http::Method::GET && status == 200 {
        if let Some(id) = path.strip_prefix("/users/") {
            if let Ok(expected) = id.parse::<i64>() {
                let parsed: i64 = std::str::from_utf8(&body).unwrap().parse().unwrap();
                assert_eq!(parsed, expected, "{path}");
            }
        }
    }
});
