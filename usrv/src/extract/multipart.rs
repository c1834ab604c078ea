//! `multipart/form-data` bodies (RFC 7578), parsed from the collected body.

use bytes::Bytes;
use memchr::memmem;

use super::{Ctx, FromRequest};
use crate::media::MediaType;
use crate::rejection::Rejection;

/// A `multipart/form-data` body: its parts, in order.
///
/// ```
/// use usrv::{route, Multipart};
///
/// #[route("/upload", methods = ["POST"])]
/// fn upload(form: Multipart) -> (u16, Vec<String>, usize) {
///     let names = form.parts().iter().map(|p| p.name.clone()).collect();
///     let size = form.get("file").map_or(0, |p| p.data.len());
///     (200, names, size)
/// }
/// ```
#[derive(Clone, Debug, Default)]
pub struct Multipart {
    parts: Vec<Part>,
}

/// One part of a multipart body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    /// The `name` of its `Content-Disposition`.
    pub name: String,
    /// The `filename`, for a file.
    pub filename: Option<String>,
    /// Its `Content-Type`, if given.
    pub content_type: Option<String>,
    /// Its bytes.
    pub data: Bytes,
}

impl Part {
    /// The data as UTF-8 text.
    pub fn text(&self) -> Option<&str> {
        std::str::from_utf8(&self.data).ok()
    }
}

impl Multipart {
    /// Every part, in order.
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// The first part with this name.
    pub fn get(&self, name: &str) -> Option<&Part> {
        self.parts.iter().find(|p| p.name == name)
    }

    /// Parses a body with the boundary of its `Content-Type`.
    pub fn parse(body: &Bytes, boundary: &str) -> Result<Multipart, Rejection> {
        parse(body, boundary)
            .map_err(|why| Rejection::bad_request(format!("invalid multipart body: {why}")))
    }
}

impl IntoIterator for Multipart {
    type Item = Part;
    type IntoIter = std::vec::IntoIter<Part>;
    fn into_iter(self) -> Self::IntoIter {
        self.parts.into_iter()
    }
}

impl FromRequest for Multipart {
    const USES_BODY: bool = true;

    fn from_request(ctx: &Ctx<'_>, _name: &'static str) -> Result<Self, Rejection> {
        let expected = || {
            Rejection::unsupported_media_type(
                "expected `Content-Type: multipart/form-data; boundary=...`",
            )
        };
        let media = MediaType::of(ctx.headers()).ok_or_else(expected)?;
        if media.essence() != "multipart/form-data" {
            return Err(expected());
        }
        let boundary = media
            .param("boundary")
            .filter(|b| !b.is_empty() && b.len() <= 70)
            .ok_or_else(|| Rejection::bad_request("multipart body without a valid boundary"))?;
        Multipart::parse(ctx.body(), &boundary)
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memmem::find(haystack, needle)
}

fn parse(body: &Bytes, boundary: &str) -> Result<Multipart, &'static str> {
    let delimiter = format!("--{boundary}");
    let next_part = format!("\r\n--{boundary}");
    let start = find(body, delimiter.as_bytes()).ok_or("no boundary found")?;
    let mut at = start + delimiter.len();
    let mut parts = Vec::new();
    loop {
        let rest = &body[at..];
        if rest.starts_with(b"--") {
            return Ok(Multipart { parts });
        }
        // Transport padding then CRLF after a delimiter.
        let line_end = find(rest, b"\r\n").ok_or("truncated after a boundary")?;
        if rest[..line_end].iter().any(|b| *b != b' ' && *b != b'\t') {
            return Err("garbage after a boundary");
        }
        at += line_end + 2;
        let head_end = find(&body[at..], b"\r\n\r\n")
            .map(|i| (i, 4))
            .or_else(|| body[at..].starts_with(b"\r\n").then_some((0, 2)))
            .ok_or("part headers never end")?;
        let head = std::str::from_utf8(&body[at..at + head_end.0])
            .map_err(|_| "part headers are not UTF-8")?;
        at += head_end.0 + head_end.1;
        let data_end = find(&body[at..], next_part.as_bytes()).ok_or("missing closing boundary")?;
        let data = body.slice(at..at + data_end);
        at += data_end + next_part.len();
        parts.push(part(head, data)?);
    }
}

fn part(head: &str, data: Bytes) -> Result<Part, &'static str> {
    let mut name = None;
    let mut filename = None;
    let mut content_type = None;
    for line in head.split("\r\n").filter(|l| !l.is_empty()) {
        let (key, value) = line.split_once(':').ok_or("malformed part header")?;
        let key = key.trim();
        if key.eq_ignore_ascii_case("content-disposition") {
            let disposition = MediaType::parse(value);
            if disposition.essence() != "form-data" {
                return Err("a part is not `form-data`");
            }
            name = disposition.param("name").map(|v| v.into_owned());
            filename = disposition.param("filename").map(|v| v.into_owned());
        } else if key.eq_ignore_ascii_case("content-type") {
            content_type = Some(value.trim().to_owned());
        }
    }
    Ok(Part {
        name: name.ok_or("a part has no name")?,
        filename,
        content_type,
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fields_and_files() {
        let body = Bytes::from_static(
            b"preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a;b \\\"c\\\".txt\"\r\n\
Content-Type: text/plain\r\n\r\nline1\r\nline2\r\n--XyZ--\r\n",
        );
        let form = Multipart::parse(&body, "XyZ").unwrap();
        assert_eq!(form.parts().len(), 2);
        assert_eq!(form.get("a").unwrap().text(), Some("1"));
        let file = form.get("file").unwrap();
        assert_eq!(file.filename.as_deref(), Some("a;b \"c\".txt"));
        assert_eq!(file.content_type.as_deref(), Some("text/plain"));
        assert_eq!(file.text(), Some("line1\r\nline2"));
    }

    #[test]
    fn rejects_broken_bodies() {
        for body in [
            &b""[..],
            b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end",
            b"--b\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--b--",
            b"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--",
            b"--bjunk\r\n",
        ] {
            assert!(
                Multipart::parse(&Bytes::copy_from_slice(body), "b").is_err(),
                "{body:?}"
            );
        }
    }
}
