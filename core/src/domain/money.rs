//! Formatting of rupiah amounts: the one place money becomes text.
//!
//! Money everywhere else is `i64` integer rupiah; there are no sen and no floats.

/// Formats integer rupiah the Indonesian way: `Rp150.000`, `Rp0`, `-Rp5.000`.
/// Total over all `i64`, including `i64::MIN`.
pub fn rupiah(amount: i64) -> String {
    // unsigned_abs, because -i64::MIN does not fit in i64.
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 3);
    if amount < 0 {
        out.push('-');
    }
    out.push_str("Rp");
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_dot_thousands() {
        let table = [
            (0, "Rp0"),
            (7, "Rp7"),
            (999, "Rp999"),
            (1_000, "Rp1.000"),
            (35_000, "Rp35.000"),
            (150_000, "Rp150.000"),
            (1_100_000, "Rp1.100.000"),
            (30_000_000, "Rp30.000.000"),
            (-5_000, "-Rp5.000"),
            (-1, "-Rp1"),
            (i64::MAX, "Rp9.223.372.036.854.775.807"),
            (i64::MIN, "-Rp9.223.372.036.854.775.808"),
        ];
        for (n, want) in table {
            assert_eq!(rupiah(n), want, "{n}");
        }
    }
}
