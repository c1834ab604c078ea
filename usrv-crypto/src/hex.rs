//! Hand-written hexadecimal helpers (lowercase out, either case in).

const LOWER: &[u8; 16] = b"0123456789abcdef";

/// Writes the lowercase hex of `bytes` into `out`, which must be exactly twice as long.
#[inline]
pub(crate) fn encode_to(bytes: &[u8], out: &mut [u8]) {
    debug_assert_eq!(out.len(), bytes.len() * 2);
    for (b, pair) in bytes.iter().zip(out.chunks_exact_mut(2)) {
        pair[0] = LOWER[usize::from(b >> 4)];
        pair[1] = LOWER[usize::from(b & 0x0f)];
    }
}

/// Lowercase hex of a fixed-size array, on the stack.
#[inline]
pub(crate) fn encode_array<const N: usize, const M: usize>(bytes: &[u8; N]) -> [u8; M] {
    debug_assert_eq!(M, N * 2);
    let mut out = [0u8; M];
    encode_to(bytes, &mut out);
    out
}

/// Appends the lowercase hex of `bytes` to `s`.
pub(crate) fn push_hex(s: &mut String, bytes: &[u8]) {
    s.reserve(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(LOWER[usize::from(b >> 4)]));
        s.push(char::from(LOWER[usize::from(b & 0x0f)]));
    }
}

/// Value of one hex digit (either case), or `None`.
#[inline]
pub(crate) const fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Error of [`decode_to`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HexError {
    /// The text is not exactly twice as long as the output.
    Length,
    /// A character is not a hex digit.
    Digit,
}

/// Decodes `text` (either case) into `out`; `text` must be exactly `2 * out.len()` long.
#[inline]
pub(crate) fn decode_to(text: &[u8], out: &mut [u8]) -> Result<(), HexError> {
    if text.len() != out.len() * 2 {
        return Err(HexError::Length);
    }
    for (pair, o) in text.chunks_exact(2).zip(out.iter_mut()) {
        match (nibble(pair[0]), nibble(pair[1])) {
            (Some(h), Some(l)) => *o = (h << 4) | l,
            _ => return Err(HexError::Digit),
        }
    }
    Ok(())
}

/// Writes `bytes` as lowercase hex into a formatter without allocating.
pub(crate) fn fmt_hex(bytes: &[u8], f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
    let mut buf = [0u8; 64];
    for chunk in bytes.chunks(32) {
        let out = &mut buf[..chunk.len() * 2];
        encode_to(chunk, out);
        // Only ASCII hex digits were written.
        f.write_str(core::str::from_utf8(out).map_err(|_| core::fmt::Error)?)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let bytes = [0x00, 0x01, 0xab, 0xff, 0x7f];
        let mut out = [0u8; 10];
        encode_to(&bytes, &mut out);
        assert_eq!(&out, b"0001abff7f");
        let mut back = [0u8; 5];
        decode_to(b"0001ABff7F", &mut back).unwrap();
        assert_eq!(back, bytes);
        assert_eq!(decode_to(b"0001abff7", &mut back), Err(HexError::Length));
        assert_eq!(decode_to(b"0001abff7g", &mut back), Err(HexError::Digit));
        let mut s = String::new();
        push_hex(&mut s, &bytes);
        assert_eq!(s, "0001abff7f");
    }
}
