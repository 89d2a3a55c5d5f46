//! Font metrics and text encoding for the three standard-14 fonts the protocol uses.
//!
//! Text is encoded in WinAnsiEncoding (Windows-1252), which every PDF reader knows for the
//! standard fonts and which covers German (ä ö ü ß „ “ – €). Widths come from Adobe's AFM
//! files, so wrapping and centring match what a reader draws.

/// A font of the protocol; none is embedded, every PDF reader has them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Font {
    Regular,
    Bold,
    /// Courier: every glyph is 600/1000 em wide, which keeps hashes and tokens aligned.
    Mono,
}

impl Font {
    pub(crate) const ALL: [Font; 3] = [Font::Regular, Font::Bold, Font::Mono];

    /// The PostScript name of the standard font.
    pub(crate) fn base_font(self) -> &'static [u8] {
        match self {
            Font::Regular => b"Helvetica",
            Font::Bold => b"Helvetica-Bold",
            Font::Mono => b"Courier",
        }
    }

    /// The name under which pages refer to the font in their resources.
    pub(crate) fn resource_name(self) -> &'static [u8] {
        match self {
            Font::Regular => b"F1",
            Font::Bold => b"F2",
            Font::Mono => b"F3",
        }
    }

    /// Advance width of one encoded byte in thousandths of an em.
    fn glyph_width(self, byte: u8) -> u16 {
        let weight = match self {
            Font::Regular => 0,
            Font::Bold => 1,
            Font::Mono => return COURIER_WIDTH,
        };
        // Bytes below 0x20 never come out of `encode`; treat them like '?'.
        let index = usize::from(byte.checked_sub(0x20).unwrap_or(b'?' - 0x20));
        HELVETICA[index][weight]
    }

    /// Width in points of encoded text set at `size` points.
    pub(crate) fn text_width(self, text: &[u8], size: f32) -> f32 {
        let units: u32 = text.iter().map(|&b| u32::from(self.glyph_width(b))).sum();
        // Sums stay far below f32's exact-integer range (2^24) for any line we measure.
        units as f32 * size / 1000.0
    }
}

/// Encodes text in WinAnsiEncoding. Characters outside it become `?`; white space other
/// than line breaks becomes a space (callers split lines before encoding).
pub(crate) fn encode(text: &str) -> Vec<u8> {
    text.chars().map(encode_char).collect()
}

fn encode_char(c: char) -> u8 {
    let code = u32::from(c);
    match code {
        0x20..=0x7e | 0xa0..=0xff => code as u8,
        _ if c.is_whitespace() => b' ',
        _ => windows_1252_extra(c).unwrap_or(b'?'),
    }
}

/// The characters Windows-1252 puts in 0x80–0x9F (where Latin-1 has control codes).
fn windows_1252_extra(c: char) -> Option<u8> {
    Some(match c {
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8a,
        '‹' => 0x8b,
        'Œ' => 0x8c,
        'Ž' => 0x8e,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9a,
        '›' => 0x9b,
        'œ' => 0x9c,
        'ž' => 0x9e,
        'Ÿ' => 0x9f,
        _ => return None,
    })
}

const COURIER_WIDTH: u16 = 600;

// Widths of WinAnsi codes 0x20–0xFF in Helvetica and Helvetica-Bold, taken from the
// Adobe Core 14 AFM files (Helvetica.afm, Helvetica-Bold.afm, 1997), which carry this notice:
//
//   Adobe Core 35 AFM Files with 314 Glyph Entries - ReadMe
//
//   This file and the 35 PostScript(R) AFM files it accompanies may be
//   used, copied, and distributed for any purpose and without charge,
//   with or without modification, provided that all copyright notices
//   are retained; that the AFM files are not distributed without this
//   file; that all modifications to this file or any of the AFM files
//   are prominently noted in the modified file(s); and that this
//   paragraph is not modified. Adobe Systems has no responsibility or
//   obligation to support the use of the AFM files.
//
// Modification: only the advance widths (WX) of the glyphs WinAnsiEncoding maps are kept,
// ordered by code; codes WinAnsiEncoding leaves unassigned are 0 (`encode` never produces
// them), and the Euro sign (0x80), missing from the 1997 files, has Helvetica's later
// width of 556.
/// `[Helvetica, Helvetica-Bold]` advance width of each code from 0x20 to 0xFF.
#[rustfmt::skip]
const HELVETICA: [[u16; 2]; 224] = [
    [278, 278], [278, 333], [355, 474], [556, 556], [556, 556], [889, 889], [667, 722], [191, 238], // 0x20
    [333, 333], [333, 333], [389, 389], [584, 584], [278, 278], [333, 333], [278, 278], [278, 278], // 0x28
    [556, 556], [556, 556], [556, 556], [556, 556], [556, 556], [556, 556], [556, 556], [556, 556], // 0x30
    [556, 556], [556, 556], [278, 333], [278, 333], [584, 584], [584, 584], [584, 584], [556, 611], // 0x38
    [1015, 975], [667, 722], [667, 722], [722, 722], [722, 722], [667, 667], [611, 611], [778, 778], // 0x40
    [722, 722], [278, 278], [500, 556], [667, 722], [556, 611], [833, 833], [722, 722], [778, 778], // 0x48
    [667, 667], [778, 778], [722, 722], [667, 667], [611, 611], [722, 722], [667, 667], [944, 944], // 0x50
    [667, 667], [667, 667], [611, 611], [278, 333], [278, 278], [278, 333], [469, 584], [556, 556], // 0x58
    [333, 333], [556, 556], [556, 611], [500, 556], [556, 611], [556, 556], [278, 333], [556, 611], // 0x60
    [556, 611], [222, 278], [222, 278], [500, 556], [222, 278], [833, 889], [556, 611], [556, 611], // 0x68
    [556, 611], [556, 611], [333, 389], [500, 556], [278, 333], [556, 611], [500, 556], [722, 778], // 0x70
    [500, 556], [500, 556], [500, 500], [334, 389], [260, 280], [334, 389], [584, 584], [0, 0], // 0x78
    [556, 556], [0, 0], [222, 278], [556, 556], [333, 500], [1000, 1000], [556, 556], [556, 556], // 0x80
    [333, 333], [1000, 1000], [667, 667], [333, 333], [1000, 1000], [0, 0], [611, 611], [0, 0], // 0x88
    [0, 0], [222, 278], [222, 278], [333, 500], [333, 500], [350, 350], [556, 556], [1000, 1000], // 0x90
    [333, 333], [1000, 1000], [500, 556], [333, 333], [944, 944], [0, 0], [500, 500], [667, 667], // 0x98
    [278, 278], [333, 333], [556, 556], [556, 556], [556, 556], [556, 556], [260, 280], [556, 556], // 0xA0
    [333, 333], [737, 737], [370, 370], [556, 556], [584, 584], [278, 278], [737, 737], [333, 333], // 0xA8
    [400, 400], [584, 584], [333, 333], [333, 333], [333, 333], [556, 611], [537, 556], [278, 278], // 0xB0
    [333, 333], [333, 333], [365, 365], [556, 556], [834, 834], [834, 834], [834, 834], [611, 611], // 0xB8
    [667, 722], [667, 722], [667, 722], [667, 722], [667, 722], [667, 722], [1000, 1000], [722, 722], // 0xC0
    [667, 667], [667, 667], [667, 667], [667, 667], [278, 278], [278, 278], [278, 278], [278, 278], // 0xC8
    [722, 722], [722, 722], [778, 778], [778, 778], [778, 778], [778, 778], [778, 778], [584, 584], // 0xD0
    [778, 778], [722, 722], [722, 722], [722, 722], [722, 722], [667, 667], [667, 667], [611, 611], // 0xD8
    [556, 556], [556, 556], [556, 556], [556, 556], [556, 556], [556, 556], [889, 889], [500, 556], // 0xE0
    [556, 556], [556, 556], [556, 556], [556, 556], [278, 278], [278, 278], [278, 278], [278, 278], // 0xE8
    [556, 611], [556, 611], [556, 611], [556, 611], [556, 611], [556, 611], [556, 611], [584, 584], // 0xF0
    [611, 611], [556, 611], [556, 611], [556, 611], [556, 611], [500, 556], [556, 611], [500, 556], // 0xF8
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn german_text_encodes_to_windows_1252() {
        assert_eq!(
            encode("äöüß ÄÖÜ „x“ – 5 €"),
            b"\xe4\xf6\xfc\xdf \xc4\xd6\xdc \x84x\x93 \x96 5 \x80"
        );
    }

    #[test]
    fn characters_outside_the_encoding_become_question_marks() {
        assert_eq!(encode("Łódź 漢字 🗳"), b"?\xf3d? ?? ?");
        assert_eq!(encode("a\tb\u{7}"), b"a b?");
    }

    #[test]
    fn widths_follow_the_afm_metrics() {
        // H 722, e 556, l 222, l 222, o 556 (Helvetica.afm).
        assert!((Font::Regular.text_width(b"Hello", 10.0) - 22.78).abs() < 1e-4);
        // Bold: H 722, e 556, l 278, l 278, o 611.
        assert!((Font::Bold.text_width(b"Hello", 10.0) - 24.45).abs() < 1e-4);
        // ä (0xE4) is as wide as a, ß (0xDF) is 611 in Helvetica.
        assert_eq!(
            Font::Regular.glyph_width(0xe4),
            Font::Regular.glyph_width(b'a')
        );
        assert_eq!(Font::Regular.glyph_width(0xdf), 611);
        assert!((Font::Mono.text_width(b"abcd", 10.0) - 24.0).abs() < 1e-4);
    }
}
