//! Bar charts as server-rendered SVG: a few dozen rectangles and labels, stacked or side by
//! side, with each bar's number above it and an optional target line. A charting crate
//! would bring a font stack for what this draws in one function.

use maud::{Markup, html};

/// Colours for series, in order (readable on white, apart in hue for colour blindness as
/// far as eight allow).
pub(crate) const PALETTE: [&str; 8] = [
    "#0b6b2e", "#1f5fa8", "#e07b00", "#8e44ad", "#a4161a", "#00838f", "#6d4c41", "#5b6670",
];

/// One series of a chart: a value per label.
pub(crate) struct Series {
    pub name: String,
    pub colour: &'static str,
    pub values: Vec<f64>,
}

/// A line across the chart at `value`, e.g. the 30-minute wait target.
pub(crate) struct Target {
    pub value: f64,
    pub label: String,
}

pub(crate) struct Bars<'a> {
    /// Also the image's accessible name.
    pub title: &'a str,
    pub labels: &'a [String],
    pub series: &'a [Series],
    /// Stacked (one bar per label, its total above), or side by side.
    pub stacked: bool,
    pub target: Option<Target>,
    /// Decimals of the numbers shown.
    pub decimals: usize,
    /// Labels under the axis counted back from the last (days: today is always named),
    /// or on from the first (half hours: the full hours are named).
    pub label_from_end: bool,
}

const W: f64 = 940.0;
const H: f64 = 230.0;
const LEFT: f64 = 36.0;
const BOTTOM: f64 = 30.0;
const TOP: f64 = 34.0;

fn f1(v: f64) -> String {
    format!("{v:.1}")
}

impl Bars<'_> {
    fn total(&self, i: usize) -> f64 {
        self.series
            .iter()
            .map(|s| s.values.get(i).copied().unwrap_or(0.0))
            .sum()
    }

    fn highest(&self) -> f64 {
        let bars = (0..self.labels.len()).map(|i| {
            if self.stacked {
                self.total(i)
            } else {
                self.series
                    .iter()
                    .map(|s| s.values.get(i).copied().unwrap_or(0.0))
                    .fold(0.0, f64::max)
            }
        });
        bars.chain(self.target.as_ref().map(|t| t.value))
            .fold(0.0, f64::max)
            .max(1.0)
    }

    /// Label `i`'s segments, bottom up: each series with where it starts and its value.
    fn stack(&self, i: usize) -> Vec<(&Series, f64, f64)> {
        let mut bottom = 0.0;
        self.series
            .iter()
            .map(|s| {
                let v = s.values.get(i).copied().unwrap_or(0.0);
                let segment = (s, bottom, v);
                bottom += v;
                segment
            })
            .collect()
    }

    /// Where each series' legend entry starts.
    fn legend_x(&self) -> Vec<f64> {
        let mut x = LEFT;
        self.series
            .iter()
            .map(|s| {
                let at = x;
                x += 24.0 + 6.5 * s.name.chars().count() as f64;
                at
            })
            .collect()
    }

    fn number(&self, v: f64) -> String {
        format!("{v:.*}", self.decimals)
    }

    pub(crate) fn render(&self) -> Markup {
        let n = self.labels.len().max(1);
        let max = self.highest() * 1.08;
        let base = H - BOTTOM;
        let y = |v: f64| base - (v / max) * (base - TOP);
        let slot = (W - LEFT) / n as f64;
        let font = if slot < 16.0 { 8 } else { 10 };
        // At most about 16 labels under the axis.
        let step = n.div_ceil(16);
        let groups = if self.stacked {
            1
        } else {
            self.series.len().max(1)
        };
        let bar = ((slot * 0.8) / groups as f64).max(1.0);
        html! {
            svg viewBox={ "0 0 " (W) " " (H) } role="img" aria-label=(self.title)
                style="width:100%;max-width:940px;background:#fff;border:1px solid #d6dbe0" {
                line x1=(LEFT) y1=(base) x2=(W) y2=(base) stroke="#8a959e" {}
                text x="2" y=(f1(TOP + 4.0)) font-size="10" fill="#5b6670" { (self.number(max / 1.08)) }
                text x="2" y=(f1(base)) font-size="10" fill="#5b6670" { "0" }
                @for (i, label) in self.labels.iter().enumerate() {
                    @let x0 = LEFT + i as f64 * slot + slot * 0.1;
                    @if self.stacked {
                        @for (s, bottom, v) in self.stack(i) {
                            @if v > 0.0 {
                                rect x=(f1(x0)) y=(f1(y(bottom + v))) width=(f1(bar))
                                    height=(f1(y(bottom) - y(bottom + v))) fill=(s.colour) {
                                    title { (label) " · " (s.name) ": " (self.number(v)) }
                                }
                            }
                        }
                        @if self.total(i) > 0.0 {
                            text x=(f1(x0 + bar / 2.0)) y=(f1(y(self.total(i)) - 3.0)) font-size=(font)
                                text-anchor="middle" { (self.number(self.total(i))) }
                        }
                    } @else {
                        @for (j, s) in self.series.iter().enumerate() {
                            @let v = s.values.get(i).copied().unwrap_or(0.0);
                            @let x = x0 + j as f64 * bar;
                            @if v > 0.0 {
                                rect x=(f1(x)) y=(f1(y(v))) width=(f1((bar - 1.0).max(1.0)))
                                    height=(f1(base - y(v))) fill=(s.colour) {
                                    title { (label) " · " (s.name) ": " (self.number(v)) }
                                }
                                text x=(f1(x + bar / 2.0)) y=(f1(y(v) - 3.0)) font-size=(font)
                                    text-anchor="middle" { (self.number(v)) }
                            }
                        }
                    }
                    @if (if self.label_from_end { n - 1 - i } else { i }).is_multiple_of(step) {
                        text x=(f1(x0)) y=(f1(base + 14.0)) font-size="10" fill="#5b6670" { (label) }
                    }
                }
                @if let Some(t) = &self.target {
                    line x1=(LEFT) y1=(f1(y(t.value))) x2=(W) y2=(f1(y(t.value)))
                        stroke="#a4161a" stroke-width="1.5" stroke-dasharray="6 4" {}
                    text x=(f1(W - 4.0)) y=(f1(y(t.value) - 4.0)) font-size="11" fill="#a4161a"
                        text-anchor="end" { (t.label) }
                }
                @for (s, x) in self.series.iter().zip(self.legend_x()) {
                    rect x=(f1(x)) y="6" width="10" height="10" fill=(s.colour) {}
                    text x=(f1(x + 14.0)) y="15" font-size="11" { (s.name) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_carry_their_numbers_and_the_target() {
        let labels = vec!["08:00".to_owned(), "08:30".to_owned()];
        let series = [
            Series {
                name: "A".into(),
                colour: PALETTE[0],
                values: vec![3.0, 0.0],
            },
            Series {
                name: "B".into(),
                colour: PALETTE[1],
                values: vec![2.0, 1.0],
            },
        ];
        let svg = Bars {
            title: "Tiket",
            labels: &labels,
            series: &series,
            stacked: true,
            target: Some(Target {
                value: 30.0,
                label: "target 30".into(),
            }),
            decimals: 0,
            label_from_end: false,
        }
        .render()
        .into_string();
        // One rectangle per non-zero value, the totals 5 and 1 above the bars.
        assert_eq!(svg.matches("<rect").count(), 3 + 2, "{svg}");
        assert!(
            svg.contains(">5</text>") && svg.contains(">1</text>"),
            "{svg}"
        );
        assert!(svg.contains("stroke-dasharray") && svg.contains("target 30"));
        assert!(svg.contains("08:00 · A: 3"));
    }
}
