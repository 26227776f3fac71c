//! Counting in words: "1 cluster", "2 clusters", "1 policy", "3 policies".

/// `n` and the noun, plural unless `n` is 1 ("policy" → "policies",
/// "Application" → "Applications").
pub(crate) fn count(n: u128, noun: &str) -> String {
    if n == 1 {
        return format!("1 {noun}");
    }
    match noun.strip_suffix('y') {
        Some(stem) if !stem.ends_with(['a', 'e', 'o', 'u']) => format!("{n} {stem}ies"),
        _ => format!("{n} {noun}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn one_is_singular_and_every_other_number_plural() {
        assert_eq!(count(1, "cluster"), "1 cluster");
        assert_eq!(count(0, "cluster"), "0 clusters");
        assert_eq!(count(2, "policy"), "2 policies");
        assert_eq!(count(1, "policy"), "1 policy");
        assert_eq!(count(3, "day"), "3 days");
    }
}
