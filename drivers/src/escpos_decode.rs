//! Decoding an ESC/POS byte stream back into what a printer would put on paper.
//!
//! Owns the virtual printer's reading of the commands the kiosk sends: text lines with their
//! style, feeds, native QR codes (GS ( k), cuts and real-time status requests (DLE EOT). It is
//! incremental (bytes may arrive split anywhere) and total: any byte sequence decodes, unknown
//! commands are recorded, never a panic. It does not answer status requests; the simulator
//! does.

/// How a decoded line was printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Style {
    /// 0 left, 1 centre, 2 right.
    pub align: u8,
    pub bold: bool,
    /// Width and height magnification, 1..=8.
    pub width: u8,
    pub height: u8,
}

/// One printed line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub text: String,
    pub style: Style,
}

/// What came out of the stream, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A printed line of text (possibly empty: a feed).
    Line(Line),
    /// A QR symbol was printed with this payload.
    Qr(String),
    /// The paper was cut.
    Cut { partial: bool },
    /// DLE EOT n: the host asks for real-time status `n`.
    StatusRequest(u8),
    /// GS r n: the host asks for status `n`, to be answered in turn with the print data.
    TransmitStatus(u8),
    /// The raw bytes of the page just cut (everything since the previous cut, status
    /// requests excluded); follows each [`Event::Cut`].
    PageRaw(Vec<u8>),
    /// A command the decoder does not know (its first bytes), skipped.
    Unknown(Vec<u8>),
}

const ESC: u8 = 0x1b;
const GS: u8 = 0x1d;
const DLE: u8 = 0x10;
const EOT: u8 = 0x04;
const LF: u8 = 0x0a;
/// Longest text line kept; a stream without line feeds must not grow memory without bound.
const MAX_LINE: usize = 4096;
/// Longest raw page kept.
const MAX_RAW: usize = 1 << 20;

/// Incremental ESC/POS decoder.
#[derive(Debug, Default)]
pub struct EscPosDecoder {
    pending: Vec<u8>,
    line: Vec<u8>,
    style: Style,
    line_style: Option<Style>,
    qr_data: Option<Vec<u8>>,
    raw: Vec<u8>,
    /// The bytes of the step just taken were already given to a page.
    cut_pending: bool,
}

/// Result of trying to parse one command at the start of a buffer.
enum Step {
    /// Need more bytes.
    Incomplete,
    /// Consumed this many bytes.
    Done(usize),
}

impl EscPosDecoder {
    /// A decoder in the printer's power-on state.
    pub fn new() -> Self {
        Self {
            style: Style {
                width: 1,
                height: 1,
                ..Style::default()
            },
            ..Self::default()
        }
    }

    /// Feeds bytes; returns the events they complete.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Event> {
        self.pending.extend_from_slice(bytes);
        let mut out = Vec::new();
        let mut pos = 0;
        while pos < self.pending.len() {
            let buf = std::mem::take(&mut self.pending);
            let events_before = out.len();
            let step = self.step(&buf[pos..], &mut out);
            match step {
                Step::Incomplete => {
                    self.pending = buf;
                    break;
                }
                Step::Done(n) => {
                    let n = n.max(1);
                    let is_status = matches!(
                        out.get(events_before),
                        Some(Event::StatusRequest(_) | Event::TransmitStatus(_))
                    );
                    if !is_status
                        && !std::mem::take(&mut self.cut_pending)
                        && self.raw.len() < MAX_RAW
                    {
                        self.raw.extend_from_slice(&buf[pos..pos + n]);
                    }
                    self.cut_pending = false;
                    pos += n;
                }
            }
            self.pending = buf;
        }
        self.pending.drain(..pos.min(self.pending.len()));
        out
    }

    /// Bytes held back waiting for the rest of a command.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    fn reset_style(&mut self) {
        self.style = Style {
            width: 1,
            height: 1,
            ..Style::default()
        };
    }

    fn push_text(&mut self, b: u8) {
        if self.line.is_empty() {
            self.line_style = Some(self.style);
        }
        if self.line.len() < MAX_LINE {
            self.line.push(b);
        }
    }

    fn end_line(&mut self, out: &mut Vec<Event>) {
        let text: String = self
            .line
            .iter()
            .map(|&b| if b.is_ascii() { b as char } else { '?' })
            .collect();
        let style = self.line_style.take().unwrap_or(self.style);
        self.line.clear();
        out.push(Event::Line(Line { text, style }));
    }

    fn step(&mut self, b: &[u8], out: &mut Vec<Event>) -> Step {
        let need = |n: usize| {
            if b.len() < n {
                Step::Incomplete
            } else {
                Step::Done(n)
            }
        };
        match b[0] {
            LF => {
                self.end_line(out);
                Step::Done(1)
            }
            b'\r' => Step::Done(1),
            DLE => {
                if b.len() < 3 {
                    return Step::Incomplete;
                }
                if b[1] == EOT {
                    out.push(Event::StatusRequest(b[2]));
                    Step::Done(3)
                } else {
                    out.push(Event::Unknown(b[..2].to_vec()));
                    Step::Done(2)
                }
            }
            ESC => {
                if b.len() < 2 {
                    return Step::Incomplete;
                }
                match b[1] {
                    b'@' => {
                        self.reset_style();
                        Step::Done(2)
                    }
                    b'2' => Step::Done(2),
                    b'a' | b'E' | b'd' | b't' | b'-' | b'G' | b'M' | b'3' | b'R' | b'{' | b'J' => {
                        if b.len() < 3 {
                            return Step::Incomplete;
                        }
                        let n = b[2];
                        match b[1] {
                            b'a' => self.style.align = (n & 0x0f).min(2),
                            b'E' => self.style.bold = n & 1 == 1,
                            b'd' => {
                                if !self.line.is_empty() {
                                    self.end_line(out);
                                } else {
                                    self.line_style = Some(self.style);
                                    self.end_line(out);
                                }
                                for _ in 1..n {
                                    self.line_style = Some(self.style);
                                    self.end_line(out);
                                }
                            }
                            _ => {}
                        }
                        Step::Done(3)
                    }
                    _ => {
                        out.push(Event::Unknown(b[..2].to_vec()));
                        Step::Done(2)
                    }
                }
            }
            GS => {
                if b.len() < 2 {
                    return Step::Incomplete;
                }
                match b[1] {
                    b'!' => {
                        if b.len() < 3 {
                            return Step::Incomplete;
                        }
                        self.style.width = (b[2] >> 4 & 0x07) + 1;
                        self.style.height = (b[2] & 0x07) + 1;
                        Step::Done(3)
                    }
                    b'V' => {
                        if b.len() < 3 {
                            return Step::Incomplete;
                        }
                        let m = b[2];
                        let (len, partial) = match m {
                            0 | 48 => (3, false),
                            1 | 49 => (3, true),
                            65 | 97 => (4, false),
                            66 | 98 => (4, true),
                            _ => (3, false),
                        };
                        if b.len() < len {
                            return Step::Incomplete;
                        }
                        if !self.line.is_empty() {
                            self.end_line(out);
                        }
                        out.push(Event::Cut { partial });
                        self.raw.extend_from_slice(&b[..len]);
                        out.push(Event::PageRaw(std::mem::take(&mut self.raw)));
                        self.cut_pending = true;
                        Step::Done(len)
                    }
                    b'(' => {
                        if b.len() < 5 {
                            return Step::Incomplete;
                        }
                        let plen = b[3] as usize | (b[4] as usize) << 8;
                        let total = 5 + plen;
                        if b.len() < total {
                            return Step::Incomplete;
                        }
                        let params = &b[5..total];
                        if b[2] == b'k' && params.len() >= 2 && params[0] == 49 {
                            match params[1] {
                                80 if params.len() >= 3 => {
                                    self.qr_data = Some(params[3..].to_vec());
                                }
                                81 => {
                                    if !self.line.is_empty() {
                                        self.end_line(out);
                                    }
                                    let data = self.qr_data.take().unwrap_or_default();
                                    out.push(Event::Qr(
                                        String::from_utf8_lossy(&data).into_owned(),
                                    ));
                                }
                                _ => {}
                            }
                        } else if b[2] != b'k' {
                            out.push(Event::Unknown(b[..3].to_vec()));
                        }
                        Step::Done(total)
                    }
                    b'r' => {
                        if b.len() < 3 {
                            return Step::Incomplete;
                        }
                        out.push(Event::TransmitStatus(b[2]));
                        Step::Done(3)
                    }
                    b'B' | b'b' | b'f' | b'h' | b'w' | b'H' => need(3),
                    _ => {
                        out.push(Event::Unknown(b[..2].to_vec()));
                        Step::Done(2)
                    }
                }
            }
            c if c >= 0x20 => {
                self.push_text(c);
                Step::Done(1)
            }
            other => {
                out.push(Event::Unknown(vec![other]));
                Step::Done(1)
            }
        }
    }
}

/// Decodes a whole buffer at once.
pub fn decode(bytes: &[u8]) -> Vec<Event> {
    EscPosDecoder::new().feed(bytes)
}

/// One cut-off piece of paper: what the virtual printer keeps.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Page {
    /// Lines and QR codes in print order.
    pub items: Vec<PageItem>,
    /// Whether it ended with a cut (false: the stream ended before one).
    pub cut: bool,
    /// The raw ESC/POS bytes of this page, status requests excluded.
    pub raw: Vec<u8>,
}

/// A line or QR code on a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageItem {
    Line(Line),
    Qr(String),
}

impl Page {
    /// The text lines, trailing spaces trimmed.
    pub fn lines(&self) -> Vec<String> {
        self.items
            .iter()
            .filter_map(|i| match i {
                PageItem::Line(l) => Some(l.text.trim_end().to_owned()),
                PageItem::Qr(_) => None,
            })
            .collect()
    }

    /// The text, one line per line.
    pub fn text(&self) -> String {
        let mut s = self.lines().join("\n");
        s.push('\n');
        s
    }

    /// The QR payloads.
    pub fn qr_codes(&self) -> Vec<String> {
        self.items
            .iter()
            .filter_map(|i| match i {
                PageItem::Qr(q) => Some(q.clone()),
                PageItem::Line(_) => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::receipt::{Align, PaperWidth, Receipt};

    #[test]
    fn round_trips_text_style_qr_and_cut() {
        let mut r = Receipt::new(PaperWidth::Mm80);
        r.styled("A-012", Align::Center, true, 2);
        r.separator();
        r.qr("REQ-1");
        let bytes = r.to_escpos().unwrap();
        let ev = decode(&bytes);
        let first = match &ev[0] {
            Event::Line(l) => l.clone(),
            e => panic!("unexpected {e:?}"),
        };
        assert_eq!(first.text, "A-012");
        assert_eq!(
            first.style,
            Style {
                align: 1,
                bold: true,
                width: 2,
                height: 2
            }
        );
        assert!(ev.contains(&Event::Qr("REQ-1".into())));
        assert_eq!(ev[ev.len() - 2], Event::Cut { partial: true });
        assert_eq!(ev.last(), Some(&Event::PageRaw(bytes.clone())));
    }

    #[test]
    fn split_input_decodes_the_same() {
        let mut r = Receipt::new(PaperWidth::Mm58);
        r.line("hello").qr("payload");
        let bytes = r.to_escpos().unwrap();
        let whole = decode(&bytes);
        let mut d = EscPosDecoder::new();
        let mut parts = Vec::new();
        for b in &bytes {
            parts.extend(d.feed(std::slice::from_ref(b)));
        }
        assert_eq!(parts, whole);
    }

    #[test]
    fn status_requests_and_garbage_do_not_panic() {
        assert_eq!(decode(&[0x10, 0x04, 0x04]), [Event::StatusRequest(4)]);
        let _ = decode(&[0x1d, 0x28, 0x6b, 0xff, 0xff, 1]);
        let _ = decode(&[0x1b, 0xff, 0x00, 0x80, 0x1d]);
    }
}
