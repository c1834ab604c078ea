//! Request nonces, PROTOCOL.md "Nonce": `<ms>.<rand>`, where `ms` is Unix time
//! in milliseconds (1 to 16 decimal digits) and `rand` 16 to 64 hex characters
//! of fresh randomness (`^[0-9]{1,16}\.[0-9a-fA-F]{16,64}$`).

use core::fmt;
use core::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::hex;
use crate::keys::os_random;

/// Most digits of the time part.
pub const MAX_MS_DIGITS: usize = 16;
/// Fewest hex characters of the random part.
pub const MIN_RAND_LEN: usize = 16;
/// Most hex characters of the random part.
pub const MAX_RAND_LEN: usize = 64;
/// Largest time a nonce can carry (16 digits).
pub const MAX_UNIX_MS: u64 = 9_999_999_999_999_999;
/// Longest nonce text.
pub const MAX_LEN: usize = MAX_MS_DIGITS + 1 + MAX_RAND_LEN;

/// The text is not a nonce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NonceError;

impl fmt::Display for NonceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("malformed nonce: expected <unix-ms, 1-16 digits>.<16-64 hex characters>")
    }
}

impl std::error::Error for NonceError {}

/// A well-formed nonce: its text and its time.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Nonce {
    text: Box<str>,
    unix_ms: u64,
}

impl Nonce {
    /// A nonce for now with 32 hex characters (16 bytes) of OS randomness.
    ///
    /// # Panics
    /// If the operating system cannot provide randomness.
    #[must_use]
    pub fn generate() -> Nonce {
        Self::generate_at(now_unix_ms())
    }

    /// A nonce for the given time with 32 hex characters of OS randomness.
    /// Times past [`MAX_UNIX_MS`] (year 318857) are clamped to it.
    ///
    /// # Panics
    /// If the operating system cannot provide randomness.
    #[must_use]
    pub fn generate_at(unix_ms: u64) -> Nonce {
        let unix_ms = unix_ms.min(MAX_UNIX_MS);
        let mut rand = [0u8; 16];
        os_random(&mut rand);
        let mut text = String::with_capacity(MAX_MS_DIGITS + 1 + 32);
        {
            use fmt::Write;
            write!(text, "{unix_ms}.").expect("writing to a String cannot fail");
        }
        hex::push_hex(&mut text, &rand);
        Nonce {
            text: text.into_boxed_str(),
            unix_ms,
        }
    }

    /// Its time, Unix milliseconds.
    #[must_use]
    pub fn unix_ms(&self) -> u64 {
        self.unix_ms
    }

    /// Its text, as sent in the `Nonce` header.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The random part (after the dot).
    #[must_use]
    pub fn random_part(&self) -> &str {
        let dot = self.text.find('.').unwrap_or(0);
        &self.text[dot + 1..]
    }

    /// Parses and checks `<ms>.<rand>` without a regex.
    fn parse(s: &str) -> Result<u64, NonceError> {
        let bytes = s.as_bytes();
        if bytes.len() > MAX_LEN {
            return Err(NonceError);
        }
        let dot = bytes.iter().position(|&b| b == b'.').ok_or(NonceError)?;
        let (ms, rand) = (&bytes[..dot], &bytes[dot + 1..]);
        if ms.is_empty() || ms.len() > MAX_MS_DIGITS {
            return Err(NonceError);
        }
        if rand.len() < MIN_RAND_LEN || rand.len() > MAX_RAND_LEN {
            return Err(NonceError);
        }
        if !rand.iter().all(u8::is_ascii_hexdigit) {
            return Err(NonceError);
        }
        let mut value: u64 = 0;
        for &b in ms {
            if !b.is_ascii_digit() {
                return Err(NonceError);
            }
            // 16 digits always fit in a u64.
            value = value * 10 + u64::from(b - b'0');
        }
        Ok(value)
    }
}

impl FromStr for Nonce {
    type Err = NonceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let unix_ms = Self::parse(s)?;
        Ok(Nonce {
            text: s.into(),
            unix_ms,
        })
    }
}

impl TryFrom<&str> for Nonce {
    type Error = NonceError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl fmt::Display for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl AsRef<str> for Nonce {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

/// Now, in Unix milliseconds (0 if the clock is before 1970).
#[must_use]
pub fn now_unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_nonces_parse() {
        let n = Nonce::generate();
        let again: Nonce = n.as_str().parse().unwrap();
        assert_eq!(n, again);
        assert_eq!(n.random_part().len(), 32);
        let max = Nonce::generate_at(u64::MAX);
        assert_eq!(max.unix_ms(), MAX_UNIX_MS);
        assert!(max.as_str().parse::<Nonce>().is_ok());
        assert_ne!(Nonce::generate_at(5), Nonce::generate_at(5));
    }

    #[test]
    fn max_digits() {
        let n: Nonce = "9999999999999999.0123456789abcdef".parse().unwrap();
        assert_eq!(n.unix_ms(), MAX_UNIX_MS);
        assert!("0.0123456789abcdef".parse::<Nonce>().is_ok());
        assert!("1.0123456789abcdef.".parse::<Nonce>().is_err());
        assert!("1..0123456789abcdef".parse::<Nonce>().is_err());
        assert!("1.0123456789abcdéf".parse::<Nonce>().is_err());
        assert!("+1.0123456789abcdef".parse::<Nonce>().is_err());
    }
}
