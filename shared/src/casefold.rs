//! Case-insensitive matching: the one folding every case-insensitive comparison and key of
//! the service goes through (userName and displayName uniqueness, configuration names, `eq`
//! lookups, filters on caseExact=false attributes, de-duplication of multi-valued values).
//!
//! The folding is Unicode compatibility caseless matching (Unicode §3.13, D146): full case
//! folding, with compatibility normalisation before and after, so that "straße" matches
//! "STRASSE", "ΌΣΟΣ" matches "όσος", and a full-width "ＡＤＡ" or a decomposed "é" matches
//! what a person would call the same name. docs/clients.md states it for clients.

use icu_casemap::CaseMapper;
use icu_normalizer::{ComposingNormalizer, DecomposingNormalizer};

/// The caseless form of `s`: two strings match case-insensitively exactly when their folds
/// are equal (and `co`, `sw`, `ew` compare folds). It may be longer than `s` ("ß" folds to
/// "ss"): limits on keys apply to the fold.
pub fn fold(s: &str) -> String {
    let mut folded = String::with_capacity(s.len());
    fold_into(s, &mut folded);
    folded
}

/// Appends the caseless form of `s` to `out` (see [`fold`]).
pub fn fold_into(s: &str, out: &mut String) {
    // ASCII folds to its lower case and is already normalised: the common case costs one pass.
    if s.is_ascii() {
        out.extend(s.chars().map(|c| c.to_ascii_lowercase()));
        return;
    }
    // D146: NFKD(fold(NFKD(fold(NFD(s))))), composed at the end (NFKC) to keep keys short;
    // two strings have equal NFKD forms exactly when they have equal NFKC forms.
    let case_mapper = CaseMapper::new();
    let decomposed = DecomposingNormalizer::new_nfd().normalize(s);
    let folded = case_mapper.fold_string(&decomposed);
    let compatible = DecomposingNormalizer::new_nfkd().normalize(&folded);
    let folded = case_mapper.fold_string(&compatible);
    out.push_str(&ComposingNormalizer::new_nfkc().normalize(&folded));
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn full_folding_with_compatibility_normalisation() {
        for (a, b) in [
            ("straße", "STRASSE"),
            ("ασ", "ΑΣ"),
            ("όσος", "ΌΣΟΣ"),
            ("ada@example.com", "ADA@Example.COM"),
            ("ＡＤＡ", "ada"),
            ("e\u{301}mile", "ÉMILE"),
            ("ﬁle", "FILE"),
            ("ǅemal", "ǄEMAL"),
        ] {
            assert_eq!(fold(a), fold(b), "{a} and {b}");
        }
        for (a, b) in [("ada", "adam"), ("straße", "strase"), ("i", "ı"), ("résumé", "resume")] {
            assert_ne!(fold(a), fold(b), "{a} and {b}");
        }
    }

    #[test]
    fn a_fold_is_its_own_fold() {
        for s in ["Straße", "ΌΣΟΣ", "ＡＤＡ", "ﬃ", "İstanbul", "ǅ", "x\u{345}", "ada@example.com"] {
            let once = fold(s);
            assert_eq!(fold(&once), once, "{s}");
        }
    }
}
