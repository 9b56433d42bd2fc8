//! Masks identifier-like digit runs in log lines, so neither the kiosk's journal and
//! diagnostics screen nor the hub's journal hold a NIK or a card number in clear.

/// Masks identifier-like digit runs: ten or more digits, unbroken or grouped with single
/// spaces, dashes or dots (`3273 0112 0580 0001`, `0812-3456-7890`), keep their first four
/// and last two digits and lose the rest to `*`, separators kept:
/// `3273011205800001` → `3273**********01`, `3273 0112 0580 0001` → `3273 **** **** **01`.
/// It errs on the side of masking (e.g. a date followed by a number); dotted IPv4 addresses
/// are left alone.
pub fn mask(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // The run: digits, with single separators between digits.
        let start = i;
        let mut end = i;
        while end < chars.len()
            && (chars[end].is_ascii_digit()
                || (is_separator(chars[end])
                    && chars.get(end + 1).is_some_and(char::is_ascii_digit)))
        {
            end += 1;
        }
        let run = &chars[start..end];
        let digits = run.iter().filter(|c| c.is_ascii_digit()).count();
        if digits >= 10 && !is_ipv4(run) {
            let mut seen = 0;
            for &c in run {
                if c.is_ascii_digit() {
                    seen += 1;
                    out.push(if seen <= 4 || seen > digits - 2 {
                        c
                    } else {
                        '*'
                    });
                } else {
                    out.push(c);
                }
            }
        } else {
            out.extend(run);
        }
        i = end;
    }
    out
}

fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '.')
}

/// `192.168.100.200`: four dot-separated groups of one to three digits.
fn is_ipv4(run: &[char]) -> bool {
    let text: String = run.iter().collect();
    let groups: Vec<&str> = text.split('.').collect();
    groups.len() == 4
        && groups
            .iter()
            .all(|g| (1..=3).contains(&g.len()) && g.bytes().all(|b| b.is_ascii_digit()))
}

/// A [`tracing_subscriber::fmt::MakeWriter`] that masks what it writes with [`mask`]: the
/// binary wraps stderr (the journal under systemd) in it, so the journal gets no long
/// identifiers either. The fmt layer writes one event per `write`, so each line is masked
/// whole.
pub struct Masked<M>(pub M);

impl<'a, M: tracing_subscriber::fmt::MakeWriter<'a>> tracing_subscriber::fmt::MakeWriter<'a>
    for Masked<M>
{
    type Writer = MaskingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        MaskingWriter(self.0.make_writer())
    }
}

/// Masks each buffer written to it, then writes it to `W`.
pub struct MaskingWriter<W>(pub W);

impl<W: std::io::Write> std::io::Write for MaskingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .write_all(mask(&String::from_utf8_lossy(buf)).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}
