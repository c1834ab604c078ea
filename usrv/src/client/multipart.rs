//! `multipart/form-data` bodies.

use std::path::Path;

use usrv_crypto::Nonce;

use super::ClientError;

/// A `multipart/form-data` body being built, for
/// [`RequestBuilder::multipart`](super::RequestBuilder::multipart).
///
/// ```
/// let form = usrv::client::MultipartForm::new()
///     .text("title", "notes")
///     .file("file", "notes.txt", "text/plain", b"hello".to_vec());
/// ```
///
/// A file on disk, named and typed after its path:
///
/// ```no_run
/// # async fn run() -> Result<(), usrv::client::ClientError> {
/// let form = usrv::client::MultipartForm::new()
///     .text("title", "holidays")
///     // filename="beach.png", Content-Type: image/png
///     .file_path("photo", "pictures/beach.png")
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct MultipartForm {
    boundary: String,
    body: Vec<u8>,
}

impl Default for MultipartForm {
    fn default() -> Self {
        Self::new()
    }
}

impl MultipartForm {
    /// An empty form with a random boundary.
    pub fn new() -> Self {
        let random = Nonce::generate();
        MultipartForm {
            boundary: format!("usrv-{}", random.random_part()),
            body: Vec::new(),
        }
    }

    /// Adds a text field.
    pub fn text(self, name: &str, value: &str) -> Self {
        self.part(name, None, None, value.as_bytes())
    }

    /// Adds a file.
    pub fn file(
        self,
        name: &str,
        filename: &str,
        content_type: &str,
        data: impl AsRef<[u8]>,
    ) -> Self {
        self.part(name, Some(filename), Some(content_type), data.as_ref())
    }

    /// Adds the file at `path`, read whole: its file name is the part's
    /// `filename`, and its content type is guessed from the extension
    /// ([`content_type_of`]).
    ///
    /// # Errors
    /// [`ClientError::File`] when the file cannot be read.
    pub async fn file_path(self, name: &str, path: impl AsRef<Path>) -> Result<Self, ClientError> {
        let path = path.as_ref();
        let data = tokio::fs::read(path)
            .await
            .map_err(|error| ClientError::File {
                path: path.to_owned(),
                error,
            })?;
        let filename = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| "file".to_owned());
        Ok(self.file(name, &filename, content_type_of(path), data))
    }

    fn part(
        mut self,
        name: &str,
        filename: Option<&str>,
        content_type: Option<&str>,
        data: &[u8],
    ) -> Self {
        // A quoted string (RFC 9110 §5.6.4): `\` and `"` escaped, which the
        // server unescapes; line breaks cannot be sent.
        let quote = |s: &str| {
            s.replace(['\r', '\n'], "_")
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
        };
        self.body
            .extend_from_slice(format!("--{}\r\n", self.boundary).as_bytes());
        let mut disposition = format!("Content-Disposition: form-data; name=\"{}\"", quote(name));
        if let Some(filename) = filename {
            disposition.push_str(&format!("; filename=\"{}\"", quote(filename)));
        }
        self.body.extend_from_slice(disposition.as_bytes());
        self.body.extend_from_slice(b"\r\n");
        if let Some(content_type) = content_type {
            self.body.extend_from_slice(
                format!(
                    "Content-Type: {}\r\n",
                    content_type.replace(['\r', '\n'], "_")
                )
                .as_bytes(),
            );
        }
        self.body.extend_from_slice(b"\r\n");
        self.body.extend_from_slice(data);
        self.body.extend_from_slice(b"\r\n");
        self
    }

    pub(crate) fn finish(mut self) -> (Vec<u8>, String) {
        self.body
            .extend_from_slice(format!("--{}--\r\n", self.boundary).as_bytes());
        (
            self.body,
            format!("multipart/form-data; boundary={}", self.boundary),
        )
    }
}

/// The content type of a file, guessed from its extension (case-insensitive)
/// among common types; `application/octet-stream` for anything else.
///
/// ```
/// use usrv::client::content_type_of;
///
/// assert_eq!(content_type_of("notes.TXT"), "text/plain; charset=utf-8");
/// assert_eq!(content_type_of("beach.png"), "image/png");
/// assert_eq!(content_type_of("data.bin"), "application/octet-stream");
/// ```
pub fn content_type_of(path: impl AsRef<Path>) -> &'static str {
    let Some(extension) = path.as_ref().extension().and_then(|e| e.to_str()) else {
        return "application/octet-stream";
    };
    match extension.to_ascii_lowercase().as_str() {
        "txt" | "text" | "log" => "text/plain; charset=utf-8",
        "md" | "markdown" => "text/markdown; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "xml" => "application/xml",
        "yaml" | "yml" => "application/yaml",
        "toml" => "application/toml",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" | "tgz" => "application/gzip",
        "tar" => "application/x-tar",
        "wasm" => "application/wasm",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "mp3" => "audio/mpeg",
        "ogg" | "oga" => "audio/ogg",
        "wav" => "audio/wav",
        "flac" => "audio/flac",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_by_extension() {
        for (path, expected) in [
            ("a/b/report.PDF", "application/pdf"),
            ("x.jpeg", "image/jpeg"),
            ("x.JPG", "image/jpeg"),
            ("data.json", "application/json"),
            ("archive.tar.gz", "application/gzip"),
            ("Makefile", "application/octet-stream"),
            (".hidden", "application/octet-stream"),
            ("weird.", "application/octet-stream"),
            ("x.exe", "application/octet-stream"),
        ] {
            assert_eq!(content_type_of(path), expected, "{path}");
        }
    }

    #[tokio::test]
    async fn file_path_reads_the_file_and_names_the_part() {
        let dir = std::env::temp_dir().join(format!("usrv-multipart-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("notes.txt");
        std::fs::write(&path, b"hello\r\nworld").unwrap();
        let form = MultipartForm::new().file_path("doc", &path).await.unwrap();
        let boundary = form.boundary.clone();
        let (body, content_type) = form.finish();
        assert_eq!(
            content_type,
            format!("multipart/form-data; boundary={boundary}")
        );
        let expected = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"notes.txt\"\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\r\nhello\r\nworld\r\n--{boundary}--\r\n"
        );
        assert_eq!(String::from_utf8(body).unwrap(), expected);

        let missing = dir.join("missing.png");
        match MultipartForm::new().file_path("doc", &missing).await {
            Err(ClientError::File { path, error }) => {
                assert_eq!(path, missing);
                assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
            }
            other => panic!("expected a file error: {other:?}"),
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}
