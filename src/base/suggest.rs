//! "Did you mean": the closest known name to a mistyped one.

/// The candidate closest to `name` by edit distance, when it is close enough
/// to be a likely typo (at most a third of the name's length, and at most 3).
pub(crate) fn closest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .map(|c| (distance(&name.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

/// A hint line for an unknown `name`: `did you mean `x`?`, or the list of
/// what is allowed when it is short.
pub(crate) fn hint(name: &str, candidates: &[&str]) -> Option<String> {
    if let Some(c) = closest(name, candidates.iter().copied()) {
        return Some(format!("did you mean `{c}`?"));
    }
    if !candidates.is_empty() && candidates.len() <= 16 {
        let list: Vec<String> = candidates.iter().map(|c| format!("`{c}`")).collect();
        return Some(format!("expected one of {}", list.join(", ")));
    }
    None
}

/// Levenshtein distance over characters.
pub(crate) fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_typos_not_strangers() {
        let fields = ["name", "environment", "metadata", "shortName"];
        assert_eq!(closest("enviroment", fields), Some("environment"));
        assert_eq!(closest("shortname", fields), Some("shortName"));
        assert_eq!(closest("colour", fields), None);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
