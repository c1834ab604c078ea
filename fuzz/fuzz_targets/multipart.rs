//! `multipart/form-data`: any body and boundary, directly and through a
//! route (never a 5xx); a body built by the rules parses to its parts.
#![no_main]

use bytes::Bytes;
use http_body_util::Full;
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use usrv::Multipart;

#[derive(Arbitrary, Debug)]
struct Input {
    content_type: String,
    boundary: String,
    body: Vec<u8>,
    parts: Vec<(String, Option<String>, Vec<u8>)>,
}

fuzz_target!(|input: Input| {
    let _ = Multipart::parse(&Bytes::from(input.body.clone()), &input.boundary);
    for content_type in [
        input.content_type.clone(),
        format!("multipart/form-data; boundary={}", input.boundary),
        format!("multipart/form-data; boundary=\"{}\"", input.boundary),
    ] {
        if let Ok(request) = http::Request::post("/upload")
            .header("content-type", content_type)
            .body(Full::new(Bytes::from(input.body.clone())))
        {
            usrv_fuzz::serve(request);
        }
    }

    // A well-formed body: names and file names without quotes or line
    // breaks, data that does not contain the delimiter.
    let boundary = "usrv-fuzz-7MA4YWxkTrZu0gW";
    let clean = |s: &str| !s.is_empty() && !s.contains(['"', '\r', '\n', '\\']);
    let mut body = Vec::new();
    let mut expected = Vec::new();
    for (name, filename, data) in &input.parts {
        if !clean(name)
            || filename.as_deref().is_some_and(|f| !clean(f))
            || data.windows(boundary.len()).any(|w| w == boundary.as_bytes())
        {
            return;
        }
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match filename {
            Some(filename) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
        expected.push((name.clone(), filename.clone(), data.clone()));
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let parsed = Multipart::parse(&Bytes::from(body), boundary).expect("a well-formed body parses");
    let got: Vec<_> = parsed
        .parts()
        .iter()
        .map(|part| (part.name.clone(), part.filename.clone(), part.data.to_vec()))
        .collect();
    assert_eq!(got, expected);
});
