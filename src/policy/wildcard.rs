//! ECR's repository-filter wildcard rules (ECR user guide, image-scanning filters), used by ignore scopes
//! and by the scan plan.

/// Whether `filter` matches `repository` under ECR's rules: a filter without `*` matches every name that
/// contains it; a filter with `*` is anchored at both ends, `*` standing for zero or more characters.
pub fn matches(filter: &str, repository: &str) -> bool {
    if !filter.contains('*') {
        return repository.contains(filter);
    }
    let parts: Vec<&str> = filter.split('*').collect();
    // A filter with a `*` splits into at least two parts.
    let [first, middle @ .., last] = parts.as_slice() else {
        return false;
    };
    let Some(mut remaining) = repository.strip_prefix(first) else {
        return false;
    };
    for part in middle {
        match remaining.find(part) {
            Some(at) => remaining = &remaining[at + part.len()..],
            None => return false,
        }
    }
    remaining.len() >= last.len() && remaining.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::matches;

    /// The table in `ecr.md`, row by row.
    #[test]
    fn ecr_wildcard_table() {
        let repositories = [
            "prod",
            "repo-prod",
            "prod-repo",
            "repo-prod-repo",
            "prodrepo",
        ];
        let table = [
            ("prod", [true, true, true, true, true]),
            ("*prod", [true, true, false, false, false]),
            ("prod*", [true, false, true, false, true]),
            ("*prod*", [true, true, true, true, true]),
            ("prod*repo", [false, false, true, false, true]),
        ];
        for (filter, expected) in table {
            for (repository, want) in repositories.iter().zip(expected) {
                assert_eq!(
                    matches(filter, repository),
                    want,
                    "{filter} vs {repository}"
                );
            }
        }
    }

    #[test]
    fn star_alone_matches_everything_and_parts_do_not_overlap() {
        assert!(matches("*", ""));
        assert!(matches("*", "payments/api"));
        assert!(matches("payments/*", "payments/api"));
        assert!(!matches("payments/*", "team/payments/api"));
        assert!(!matches("ab*ba", "aba"));
        assert!(matches("a*b*c", "axxbyyc"));
    }
}
