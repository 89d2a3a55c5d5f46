//! `[branding]`: product name, logo, colours and login-page text, applied by the web client
//! at runtime (docs/configuration.md), so an operator brands an instance without a rebuild.
//!
//! Everything is checked at start: the logo must be a PNG or SVG file of at most
//! [`MAX_LOGO_BYTES`] whose content matches its name; colours are `#rgb` / `#rrggbb` (so the
//! generated stylesheet can never carry anything but a colour) and must keep the WCAG AA
//! contrast of 4.5:1 the default theme has; login texts come in both languages or not at all.

use super::{ConfigError, Kind, Origin, Values, err};
use std::fmt;
use std::path::Path;

/// The keys of this module, merged into the parent's key list.
pub(super) const KEYS: &[(&str, Kind)] = &[
    ("branding.product_name", Kind::Text),
    ("branding.logo_file", Kind::Text),
    ("branding.color_primary", Kind::Text),
    ("branding.color_on_primary", Kind::Text),
    ("branding.color_primary_dark", Kind::Text),
    ("branding.color_on_primary_dark", Kind::Text),
    ("branding.login_text_de", Kind::Text),
    ("branding.login_text_en", Kind::Text),
];

/// Largest logo file served; a logo is a small image, and it is held in memory.
pub const MAX_LOGO_BYTES: usize = 256 * 1024;
/// Longest product name, in characters.
pub const MAX_PRODUCT_NAME_CHARS: usize = 64;
/// Longest login-page text, in characters.
pub const MAX_LOGIN_TEXT_CHARS: usize = 1000;
/// WCAG 2.1 AA contrast for normal text.
pub const MIN_CONTRAST: f64 = 4.5;

/// The default product name.
pub const DEFAULT_PRODUCT_NAME: &str = "Plenum";

/// The light theme's page surface, on which the primary colour is also used as text
/// (links); the default theme's values (web/src/styles.css) for what is not configured.
const LIGHT_SURFACE: Rgb = Rgb(0xff, 0xff, 0xff);
const DEFAULT_ON_PRIMARY: Rgb = Rgb(0xff, 0xff, 0xff);
const DEFAULT_ON_PRIMARY_DARK: Rgb = Rgb(0x0b, 0x15, 0x12);

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BrandingConfig {
    /// `None`: the default name ("Plenum").
    pub product_name: Option<String>,
    pub logo: Option<Logo>,
    pub colors: BrandColors,
    pub login_text: Option<LoginText>,
}

impl BrandingConfig {
    pub fn product_name(&self) -> &str {
        self.product_name.as_deref().unwrap_or(DEFAULT_PRODUCT_NAME)
    }
}

/// A logo, read and checked at start.
#[derive(Clone, PartialEq, Eq)]
pub struct Logo {
    pub kind: LogoKind,
    pub bytes: Vec<u8>,
}

impl fmt::Debug for Logo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Logo")
            .field("kind", &self.kind)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogoKind {
    Png,
    Svg,
}

impl LogoKind {
    pub fn content_type(self) -> &'static str {
        match self {
            LogoKind::Png => "image/png",
            LogoKind::Svg => "image/svg+xml",
        }
    }
}

/// The configured colours; `None` keeps the default theme's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BrandColors {
    pub primary: Option<Rgb>,
    pub on_primary: Option<Rgb>,
    pub primary_dark: Option<Rgb>,
    pub on_primary_dark: Option<Rgb>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginText {
    pub de: String,
    pub en: String,
}

/// An sRGB colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// `#rgb` or `#rrggbb` (any case).
    pub fn parse(text: &str) -> Result<Self, String> {
        let invalid = || format!("{text:?} is not a colour of the form #rrggbb or #rgb");
        let hex = text.trim().strip_prefix('#').ok_or_else(invalid)?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid());
        }
        let digit = |i: usize| u8::from_str_radix(&hex[i..=i], 16).map_err(|_| invalid());
        let pair = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| invalid());
        match hex.len() {
            3 => Ok(Rgb(digit(0)? * 17, digit(1)? * 17, digit(2)? * 17)),
            6 => Ok(Rgb(pair(0)?, pair(2)?, pair(4)?)),
            _ => Err(invalid()),
        }
    }

    /// WCAG 2.1 relative luminance.
    fn luminance(self) -> f64 {
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(self.0) + 0.7152 * channel(self.1) + 0.0722 * channel(self.2)
    }

    /// WCAG 2.1 contrast ratio, 1 to 21.
    pub fn contrast(self, other: Rgb) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    /// `self` moved towards `target` by `share` (0 to 1), channel by channel.
    pub fn mix(self, target: Rgb, share: f64) -> Rgb {
        let channel = |from: u8, to: u8| {
            let value = f64::from(from) + (f64::from(to) - f64::from(from)) * share;
            // Clamped to 0..=255 first, so the cast cannot truncate.
            value.round().clamp(0.0, 255.0) as u8
        };
        Rgb(
            channel(self.0, target.0),
            channel(self.1, target.1),
            channel(self.2, target.2),
        )
    }
}

impl fmt::Display for Rgb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

impl BrandColors {
    /// The stylesheet served at `/branding.css`: CSS variables over the default theme's.
    /// Only formatted colours go into it, never configured text. The selectors are more
    /// specific than the theme's, so they win wherever the bundler puts the link.
    pub fn stylesheet(&self) -> String {
        const BLACK: Rgb = Rgb(0, 0, 0);
        const WHITE: Rgb = Rgb(0xff, 0xff, 0xff);
        let mut css =
            String::from("/* Plenum branding: generated from the [branding] config. */\n");
        if let Some(primary) = self.primary {
            let on = self.on_primary.unwrap_or(DEFAULT_ON_PRIMARY);
            css += &format!(
                "html:root, html:root[data-theme='light'] {{\n  --accent: {primary};\n  --accent-strong: {};\n  \
                 --accent-soft: {};\n  --accent-text: {primary};\n  --on-accent: {on};\n}}\n",
                primary.mix(BLACK, 0.2),
                primary.mix(WHITE, 0.88),
            );
        }
        if let Some(primary) = self.primary_dark {
            let on = self.on_primary_dark.unwrap_or(DEFAULT_ON_PRIMARY_DARK);
            css += &format!(
                "html:root[data-theme='dark'] {{\n  --accent: {primary};\n  --accent-strong: {};\n  \
                 --accent-soft: {};\n  --accent-text: {};\n  --on-accent: {on};\n}}\n",
                primary.mix(WHITE, 0.15),
                primary.mix(BLACK, 0.65),
                primary.mix(WHITE, 0.3),
            );
        }
        css
    }
}

pub(super) fn from_values(v: &Values<'_>) -> Result<BrandingConfig, ConfigError> {
    let product_name = v
        .text("branding.product_name")?
        .map(|(name, o)| {
            plain_text(&name, MAX_PRODUCT_NAME_CHARS, false)
                .map_err(|r| err(o, "branding.product_name", r))
        })
        .transpose()?;
    let logo = v
        .text("branding.logo_file")?
        .map(|(path, o)| read_logo(Path::new(&path)).map_err(|r| err(o, "branding.logo_file", r)))
        .transpose()?;
    let color = |key: &str| -> Result<Option<(Rgb, Origin)>, ConfigError> {
        v.text(key)?
            .map(|(text, o)| {
                Rgb::parse(&text)
                    .map(|c| (c, o.clone()))
                    .map_err(|r| err(o, key, r))
            })
            .transpose()
    };
    let primary = color("branding.color_primary")?;
    let on_primary = color("branding.color_on_primary")?;
    let primary_dark = color("branding.color_primary_dark")?;
    let on_primary_dark = color("branding.color_on_primary_dark")?;
    check_pair(
        primary.as_ref(),
        on_primary.as_ref(),
        ("branding.color_primary", "branding.color_on_primary"),
        DEFAULT_ON_PRIMARY,
    )?;
    check_pair(
        primary_dark.as_ref(),
        on_primary_dark.as_ref(),
        (
            "branding.color_primary_dark",
            "branding.color_on_primary_dark",
        ),
        DEFAULT_ON_PRIMARY_DARK,
    )?;
    if let Some((primary, o)) = &primary {
        // In the light theme the primary colour is also the colour of links and
        // accent text on the page.
        let ratio = primary.contrast(LIGHT_SURFACE);
        if ratio < MIN_CONTRAST {
            return Err(err(
                o.clone(),
                "branding.color_primary",
                format!(
                    "{primary} has a contrast of {ratio:.2}:1 against the white page, below the {MIN_CONTRAST}:1 of WCAG AA (it is also the colour of links)"
                ),
            ));
        }
    }
    let login_de = v.text("branding.login_text_de")?;
    let login_en = v.text("branding.login_text_en")?;
    let login_text = match (login_de, login_en) {
        (None, None) => None,
        (Some((_, o)), None) => {
            return Err(err(
                o,
                "branding.login_text_en",
                "missing: the login text is needed in English too, so no page mixes languages",
            ));
        }
        (None, Some((_, o))) => {
            return Err(err(
                o,
                "branding.login_text_de",
                "missing: the login text is needed in German too, so no page mixes languages",
            ));
        }
        (Some((de, o_de)), Some((en, o_en))) => Some(LoginText {
            de: plain_text(&de, MAX_LOGIN_TEXT_CHARS, true)
                .map_err(|r| err(o_de, "branding.login_text_de", r))?,
            en: plain_text(&en, MAX_LOGIN_TEXT_CHARS, true)
                .map_err(|r| err(o_en, "branding.login_text_en", r))?,
        }),
    };
    Ok(BrandingConfig {
        product_name,
        logo,
        colors: BrandColors {
            primary: primary.map(|(c, _)| c),
            on_primary: on_primary.map(|(c, _)| c),
            primary_dark: primary_dark.map(|(c, _)| c),
            on_primary_dark: on_primary_dark.map(|(c, _)| c),
        },
        login_text,
    })
}

/// Text shown as text (never markup): trimmed, 1 to `max` characters, no control characters
/// other than line breaks where `multiline`.
fn plain_text(text: &str, max: usize, multiline: bool) -> Result<String, String> {
    let text = text.trim();
    let chars = text.chars().count();
    if chars == 0 || chars > max {
        return Err(format!("must have 1 to {max} characters, has {chars}"));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !(multiline && c == '\n'))
    {
        return Err("contains control characters".into());
    }
    Ok(text.to_owned())
}

/// A foreground/background pair must reach AA contrast; an unset foreground is the default
/// theme's, and a foreground without its background is pointless.
fn check_pair(
    background: Option<&(Rgb, Origin)>,
    foreground: Option<&(Rgb, Origin)>,
    (background_key, foreground_key): (&str, &str),
    default_foreground: Rgb,
) -> Result<(), ConfigError> {
    match (background, foreground) {
        (None, None) => Ok(()),
        (None, Some((_, o))) => Err(err(
            o.clone(),
            foreground_key,
            format!("is only used together with {background_key}, which is not set"),
        )),
        (Some((bg, o)), fg) => {
            let (fg, key, origin) = match fg {
                Some((fg, o_fg)) => (*fg, foreground_key, o_fg.clone()),
                None => (default_foreground, background_key, o.clone()),
            };
            let ratio = bg.contrast(fg);
            if ratio < MIN_CONTRAST {
                Err(err(
                    origin,
                    key,
                    format!(
                        "text {fg} on {bg} has a contrast of {ratio:.2}:1, below the {MIN_CONTRAST}:1 of WCAG AA; set {foreground_key} to a colour that reads on {background_key}"
                    ),
                ))
            } else {
                Ok(())
            }
        }
    }
}

/// Reads the logo: at most [`MAX_LOGO_BYTES`], `.png` with the PNG signature or `.svg`
/// with an `<svg` root element.
fn read_logo(path: &Path) -> Result<Logo, String> {
    let kind = match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("png") => LogoKind::Png,
        Some("svg") => LogoKind::Svg,
        _ => return Err(format!("{} must be a .png or .svg file", path.display())),
    };
    let size = std::fs::metadata(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?
        .len();
    if size > MAX_LOGO_BYTES as u64 {
        return Err(format!(
            "{} has {size} bytes, more than the {MAX_LOGO_BYTES} a logo may have",
            path.display()
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let matches = match kind {
        LogoKind::Png => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        LogoKind::Svg => is_svg(&bytes),
    };
    if !matches {
        return Err(format!(
            "{} does not contain {} data",
            path.display(),
            match kind {
                LogoKind::Png => "PNG",
                LogoKind::Svg => "SVG",
            }
        ));
    }
    Ok(Logo { kind, bytes })
}

/// UTF-8 text whose first element, after an XML declaration, comments and a doctype, is
/// `<svg`.
fn is_svg(bytes: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    let mut rest = text.trim_start_matches('\u{feff}').trim_start();
    loop {
        if let Some(after) = rest.strip_prefix("<?") {
            let Some(end) = after.find("?>") else {
                return false;
            };
            rest = after[end + 2..].trim_start();
        } else if let Some(after) = rest.strip_prefix("<!--") {
            let Some(end) = after.find("-->") else {
                return false;
            };
            rest = after[end + 3..].trim_start();
        } else if let Some(after) = rest.strip_prefix("<!DOCTYPE") {
            let Some(end) = after.find('>') else {
                return false;
            };
            rest = after[end + 1..].trim_start();
        } else {
            return rest.starts_with("<svg")
                && rest[4..].starts_with(|c: char| c.is_whitespace() || c == '>' || c == '/');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_parse_in_both_forms_only() {
        assert_eq!(Rgb::parse("#2f6f5e"), Ok(Rgb(0x2f, 0x6f, 0x5e)));
        assert_eq!(Rgb::parse("#ABC"), Ok(Rgb(0xaa, 0xbb, 0xcc)));
        for bad in [
            "2f6f5e",
            "#2f6f5",
            "#gggggg",
            "red",
            "#fff;}body{",
            "#ff\u{ff}",
            "",
            "#",
            "rgb(1,2,3)",
        ] {
            assert!(Rgb::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn contrast_matches_wcag_reference_values() {
        let black = Rgb(0, 0, 0);
        let white = Rgb(255, 255, 255);
        assert!((black.contrast(white) - 21.0).abs() < 1e-9);
        assert!((white.contrast(white) - 1.0).abs() < 1e-9);
        // #767676 on white is the well-known 4.54:1 grey.
        assert!((Rgb(0x76, 0x76, 0x76).contrast(white) - 4.54).abs() < 0.01);
        // The default accent with white text (styles.css).
        assert!(Rgb(0x2f, 0x6f, 0x5e).contrast(white) >= MIN_CONTRAST);
    }

    #[test]
    fn svg_sniffing() {
        let yes: [&[u8]; 4] = [
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
            b"<?xml version=\"1.0\"?>\n<!-- logo -->\n<svg>",
            b"\xef\xbb\xbf<!DOCTYPE svg PUBLIC \"x\" \"y\">\n<svg\nviewBox=\"0 0 1 1\"></svg>",
            b"  <svg/>",
        ];
        let no: [&[u8]; 5] = [
            b"<html><svg></svg></html>",
            b"<svgx>",
            b"\x89PNG\r\n\x1a\n",
            b"<?xml version=\"1.0\"",
            b"\xff\xfe<\x00s\x00",
        ];
        for bytes in yes {
            assert!(is_svg(bytes), "{:?}", String::from_utf8_lossy(bytes));
        }
        for bytes in no {
            assert!(!is_svg(bytes), "{:?}", String::from_utf8_lossy(bytes));
        }
    }

    #[test]
    fn the_stylesheet_holds_only_formatted_colours() {
        let colors = BrandColors {
            primary: Some(Rgb(0x00, 0x4b, 0x87)),
            on_primary: None,
            primary_dark: Some(Rgb(0x7a, 0xb8, 0xf5)),
            on_primary_dark: Some(Rgb(0, 0, 0)),
        };
        let css = colors.stylesheet();
        assert!(css.contains("--accent: #004b87;"), "{css}");
        assert!(css.contains("--on-accent: #ffffff;"), "{css}");
        assert!(
            css.contains("html:root[data-theme='dark'] {\n  --accent: #7ab8f5;"),
            "{css}"
        );
        assert!(css.contains("--on-accent: #000000;"), "{css}");
        assert_eq!(
            BrandColors::default().stylesheet(),
            "/* Plenum branding: generated from the [branding] config. */\n"
        );
    }
}
