//! Percent-decoding of path parameters and query values: raw targets never
//! get a 5xx, and any text, percent-encoded by a client, comes back whole.
#![no_main]

use bytes::Bytes;
use http_body_util::Full;
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

#[derive(Arbitrary, Debug)]
struct Input {
    /// A raw path segment and query, as a client may send them.
    raw_segment: String,
    raw_query: String,
    /// Text that a well-behaved client encodes.
    text: String,
}

fn get(target: &str) -> Option<(u16, Bytes)> {
    let uri = target.parse::<http::Uri>().ok()?;
    let request = http::Request::get(uri).body(Full::new(Bytes::new())).ok()?;
    Some(usrv_fuzz::serve(request))
}

fuzz_target!(|input: Input| {
    let _ = get(&format!("/p/{}?{}", input.raw_segment, input.raw_query));
    let _ = get(&format!("/q?{}", input.raw_query));
    let _ = get(&format!("/kw?{}", input.raw_query));

    let encoded = utf8_percent_encode(&input.text, NON_ALPHANUMERIC).to_string();
    if !input.text.is_empty() {
        let (status, body) = get(&format!("/p/{encoded}")).expect("an encoded target parses");
        assert_eq!(status, 200);
        assert_eq!(std::str::from_utf8(&body).unwrap(), input.text);
    }
    let (status, body) = get(&format!("/q?q={encoded}")).expect("an encoded target parses");
    assert_eq!(status, 200);
    let echoed: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(echoed[0], serde_json::Value::String(input.text.clone()));
});
