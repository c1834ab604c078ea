//! "Did you mean ...?" for misspelt options, methods, converters and names.

/// The candidate closest to `word`, when it is close enough to be a typo.
pub fn closest<'a, I>(word: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a &'a str>,
{
    let word = word.to_ascii_lowercase();
    // One typo per three letters: `sigend` is `signed`, `FETCH` is not `PATCH`.
    let limit = match word.chars().count() {
        0 => return None,
        n => (n / 3).max(1),
    };
    candidates
        .into_iter()
        .map(|c| (distance(&word, &c.to_ascii_lowercase()), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// The optimal string alignment distance: Levenshtein plus the swap of two
/// neighbours, the commonest typo (`sigend`).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_typos_only() {
        let options = ["methods", "signed", "encrypted", "blocking"];
        assert_eq!(closest("sigend", &options), Some("signed"));
        assert_eq!(closest("method", &options), Some("methods"));
        assert_eq!(closest("encrpyted", &options), Some("encrypted"));
        assert_eq!(closest("timeout", &options), None);
        assert_eq!(closest("PSOT", &["GET", "POST"]), Some("POST"));
        assert_eq!(closest("FETCH", &["GET", "POST", "PATCH"]), None);
        assert_eq!(closest("uuid", &["int", "float", "str", "path"]), None);
        assert_eq!(
            closest("itn", &["int", "float", "str", "path"]),
            Some("int")
        );
    }
}
