//! A small layout engine for A4 documents: blocks of text flow down the page, wrap at
//! spaces using the fonts' real metrics (words wider than a line break anywhere, which is
//! what hashes and base64 need), and continue on a new page when the page is full. Tables
//! keep a row together where it fits and repeat their header on every page they span.

use crate::PdfError;
use crate::metrics::{Font, encode};

/// A4 in points (210 mm × 297 mm).
pub(crate) const PAGE_WIDTH: f32 = 595.276;
pub(crate) const PAGE_HEIGHT: f32 = 841.89;
/// 20 mm on every side; the footer sits inside the bottom margin.
const MARGIN: f32 = 56.693;
const FOOTER_BASELINE: f32 = 28.346;
const TEXT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
/// Line height as a multiple of the font size.
const LEADING: f32 = 1.3;
const PARAGRAPH_GAP: f32 = 4.0;
const HEADING_GAP: f32 = 10.0;
/// Space between table columns, taken from the left column's width.
const COLUMN_GAP: f32 = 8.0;
const ROW_GAP: f32 = 2.0;
const RULE_WIDTH: f32 = 0.5;

/// A font at a size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Style {
    pub(crate) font: Font,
    pub(crate) size: f32,
}

impl Style {
    pub(crate) const BODY: Style = Style::new(Font::Regular, 10.0);
    pub(crate) const STRONG: Style = Style::new(Font::Bold, 10.0);
    pub(crate) const CODE: Style = Style::new(Font::Mono, 9.0);
    pub(crate) const SUBJECT: Style = Style::new(Font::Bold, 13.0);
    const TITLE: Style = Style::new(Font::Bold, 18.0);
    const HEADING: Style = Style::new(Font::Bold, 12.5);
    const FOOTER: Style = Style::new(Font::Regular, 8.0);

    const fn new(font: Font, size: f32) -> Style {
        Style { font, size }
    }

    fn line_height(self) -> f32 {
        self.size * LEADING
    }

    fn width(self, text: &[u8]) -> f32 {
        self.font.text_width(text, self.size)
    }
}

/// One piece of a document, laid out top to bottom.
#[derive(Debug)]
pub(crate) enum Block {
    Title(String),
    /// Kept on the same page as the first lines after it.
    Heading(String),
    /// Text wrapped to the full width; `\n` starts a new line.
    Paragraph(String, Style),
    /// A bold label over its value, never split across pages.
    Labelled {
        label: String,
        value: String,
        style: Style,
    },
    Table(Table),
}

#[derive(Debug)]
pub(crate) struct Column {
    /// Share of the text width; the shares of a table add up to 1.
    pub(crate) share: f32,
    pub(crate) style: Style,
}

#[derive(Debug)]
pub(crate) struct Table {
    pub(crate) columns: Vec<Column>,
    /// Printed in bold and underlined above the rows, again on every page the rows continue on.
    pub(crate) header: Option<Vec<String>>,
    /// Cells beyond the columns are not shown; missing cells are empty.
    pub(crate) rows: Vec<Vec<String>>,
}

/// Something drawn on a page, in PDF coordinates (points, origin bottom left).
#[derive(Debug, PartialEq)]
pub(crate) enum Item {
    /// One line of WinAnsi-encoded text starting at `x` on `baseline`.
    Text {
        x: f32,
        baseline: f32,
        style: Style,
        text: Vec<u8>,
    },
    /// A thin horizontal line.
    Rule { x_from: f32, x_to: f32, y: f32 },
}

impl Item {
    pub(crate) const RULE_WIDTH: f32 = RULE_WIDTH;

    /// The same item `dy` points higher.
    fn shifted(self, dy: f32) -> Item {
        match self {
            Item::Text {
                x,
                baseline,
                style,
                text,
            } => Item::Text {
                x,
                baseline: baseline + dy,
                style,
                text,
            },
            Item::Rule { x_from, x_to, y } => Item::Rule {
                x_from,
                x_to,
                y: y + dy,
            },
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct Page {
    pub(crate) items: Vec<Item>,
}

/// Lays the blocks out on pages; more than `max_pages` pages is an error.
pub(crate) fn lay_out(blocks: &[Block], max_pages: usize) -> Result<Vec<Page>, PdfError> {
    let mut layouter = Layouter::new(max_pages);
    for block in blocks {
        match block {
            Block::Title(text) => {
                layouter.paragraph(text, Style::TITLE)?;
                layouter.cursor -= PARAGRAPH_GAP;
            }
            Block::Heading(text) => layouter.heading(text)?,
            Block::Paragraph(text, style) => layouter.paragraph(text, *style)?,
            Block::Labelled {
                label,
                value,
                style,
            } => layouter.labelled(label, value, *style)?,
            Block::Table(table) => layouter.table(table)?,
        }
    }
    Ok(layouter.finish())
}

/// Writes `footer(page number, page count)` centred in the bottom margin of every page.
pub(crate) fn add_footers(pages: &mut [Page], footer: impl Fn(usize, usize) -> String) {
    let count = pages.len();
    for (index, page) in pages.iter_mut().enumerate() {
        let text = encode(&footer(index + 1, count));
        let x = (PAGE_WIDTH - Style::FOOTER.width(&text)) / 2.0;
        page.items.push(Item::Text {
            x,
            baseline: FOOTER_BASELINE,
            style: Style::FOOTER,
            text,
        });
    }
}

struct Layouter {
    pages: Vec<Page>,
    current: Page,
    /// Top of the free space on the current page.
    cursor: f32,
    max_pages: usize,
    /// The last heading, while nothing follows it yet: (its first item, the cursor above
    /// it). A page break then takes it along, so no heading ends a page.
    trailing_heading: Option<(usize, f32)>,
}

impl Layouter {
    fn new(max_pages: usize) -> Self {
        Layouter {
            pages: Vec::new(),
            current: Page::default(),
            cursor: PAGE_HEIGHT - MARGIN,
            max_pages,
            trailing_heading: None,
        }
    }

    fn finish(mut self) -> Vec<Page> {
        self.pages.push(self.current);
        self.pages
    }

    /// Starts a new page unless `height` still fits on this one (or this one is empty,
    /// where nothing would fit better). Returns whether a new page began.
    fn make_room(&mut self, height: f32) -> Result<bool, PdfError> {
        if self.cursor - height >= MARGIN || self.current.items.is_empty() {
            return Ok(false);
        }
        if self.pages.len() + 1 >= self.max_pages {
            return Err(PdfError::TooManyPages {
                limit: self.max_pages,
            });
        }
        // A heading alone at the top of its page stays (moving it would leave an empty page).
        let carried = match self.trailing_heading.take() {
            Some((first, top)) if first > 0 => Some((self.current.items.split_off(first), top)),
            _ => None,
        };
        self.pages.push(std::mem::take(&mut self.current));
        let top = PAGE_HEIGHT - MARGIN;
        self.cursor = match carried {
            Some((items, heading_top)) => {
                let shift = top - heading_top;
                self.current.items = items.into_iter().map(|item| item.shifted(shift)).collect();
                self.cursor + shift
            }
            None => top,
        };
        Ok(true)
    }

    /// Places one line at `x` with the cursor at the top of the line; the caller moves on.
    fn text(&mut self, x: f32, style: Style, text: Vec<u8>) {
        let baseline = self.cursor - style.size;
        self.trailing_heading = None;
        self.current.items.push(Item::Text {
            x,
            baseline,
            style,
            text,
        });
    }

    fn rule(&mut self) {
        let y = self.cursor - ROW_GAP / 2.0;
        self.trailing_heading = None;
        self.current.items.push(Item::Rule {
            x_from: MARGIN,
            x_to: PAGE_WIDTH - MARGIN,
            y,
        });
        self.cursor -= ROW_GAP;
    }

    fn paragraph(&mut self, text: &str, style: Style) -> Result<(), PdfError> {
        for line in wrap(text, style, TEXT_WIDTH) {
            self.make_room(style.line_height())?;
            self.text(MARGIN, style, line);
            self.cursor -= style.line_height();
        }
        self.cursor -= PARAGRAPH_GAP;
        Ok(())
    }

    fn labelled(&mut self, label: &str, value: &str, style: Style) -> Result<(), PdfError> {
        let label = wrap(label, Style::STRONG, TEXT_WIDTH);
        let value = wrap(value, style, TEXT_WIDTH);
        let height = label.len() as f32 * Style::STRONG.line_height()
            + value.len() as f32 * style.line_height();
        self.make_room(height)?;
        let lines = label.into_iter().map(|line| (Style::STRONG, line));
        for (style, line) in lines.chain(value.into_iter().map(|line| (style, line))) {
            self.text(MARGIN, style, line);
            self.cursor -= style.line_height();
        }
        self.cursor -= PARAGRAPH_GAP;
        Ok(())
    }

    fn heading(&mut self, text: &str) -> Result<(), PdfError> {
        self.cursor -= HEADING_GAP;
        // A heading alone at the bottom of a page reads as if its section were empty.
        let lines = wrap(text, Style::HEADING, TEXT_WIDTH);
        let height = (lines.len() as f32) * Style::HEADING.line_height();
        // A block that keeps itself together may still move on; `make_room` then takes
        // the heading along.
        self.make_room(height + 3.0 * Style::BODY.line_height())?;
        let heading = (self.current.items.len(), self.cursor);
        for line in lines {
            self.text(MARGIN, Style::HEADING, line);
            self.cursor -= Style::HEADING.line_height();
        }
        self.cursor -= ROW_GAP;
        self.trailing_heading = Some(heading);
        Ok(())
    }

    fn table(&mut self, table: &Table) -> Result<(), PdfError> {
        let mut x = MARGIN;
        let columns: Vec<ColumnBox> = table
            .columns
            .iter()
            .map(|column| {
                let width = column.share * TEXT_WIDTH;
                let placed = ColumnBox {
                    x,
                    width: width - COLUMN_GAP,
                    style: column.style,
                };
                x += width;
                placed
            })
            .collect();
        let header_styles: Vec<ColumnBox> = columns
            .iter()
            .map(|&column| ColumnBox {
                style: Style::STRONG,
                ..column
            })
            .collect();
        let header = table
            .header
            .as_ref()
            .map(|cells| wrap_row(cells, &header_styles));
        let rows: Vec<WrappedRow> = table
            .rows
            .iter()
            .map(|cells| wrap_row(cells, &columns))
            .collect();
        // A table that fits on a third of a page is not split; longer ones fill the page.
        let page_height = PAGE_HEIGHT - 2.0 * MARGIN;
        let rows_height: f32 = rows.iter().map(|row| row.height + ROW_GAP).sum();
        let header_height = header
            .as_ref()
            .map_or(0.0, |header| header.height + ROW_GAP);
        let first_row = rows.first().map_or(0.0, |row| row.height);
        let together = header_height + rows_height;
        self.make_room(if together <= page_height / 3.0 {
            together
        } else {
            header_height + first_row
        })?;
        if let Some(header) = &header {
            self.header(header, &header_styles);
        }
        for row in &rows {
            // Keep a row on one page where it fits on half of one; longer rows continue
            // line by line.
            let mut new_page = self.make_room(row.height.min(page_height / 2.0))?;
            for line in 0..row.lines {
                new_page |= self.make_room(row.line_height)?;
                if let (true, Some(header)) = (new_page, &header) {
                    self.header(header, &header_styles);
                }
                new_page = false;
                self.row_line(row, line, &columns);
            }
            self.cursor -= ROW_GAP;
        }
        if header.is_some() {
            self.rule();
        }
        self.cursor -= PARAGRAPH_GAP;
        Ok(())
    }

    /// Places a header row with its rule (headers are far shorter than a page).
    fn header(&mut self, header: &WrappedRow, styles: &[ColumnBox]) {
        for line in 0..header.lines {
            self.row_line(header, line, styles);
        }
        self.rule();
    }

    /// Places line `line` of every cell of `row` and moves below it.
    fn row_line(&mut self, row: &WrappedRow, line: usize, columns: &[ColumnBox]) {
        for (cell, column) in row.cells.iter().zip(columns) {
            if let Some(text) = cell.get(line) {
                self.text(column.x, column.style, text.clone());
            }
        }
        self.cursor -= row.line_height;
    }
}

/// Where a table column sits on the page and how its cells are set.
#[derive(Clone, Copy)]
struct ColumnBox {
    x: f32,
    width: f32,
    style: Style,
}

struct WrappedRow {
    cells: Vec<Vec<Vec<u8>>>,
    lines: usize,
    line_height: f32,
    height: f32,
}

fn wrap_row(cells: &[String], columns: &[ColumnBox]) -> WrappedRow {
    let cells: Vec<Vec<Vec<u8>>> = columns
        .iter()
        .enumerate()
        .map(|(i, column)| {
            cells
                .get(i)
                .map(|cell| wrap(cell, column.style, column.width))
                .unwrap_or_default()
        })
        .collect();
    let lines = cells.iter().map(Vec::len).max().unwrap_or(0).max(1);
    let line_height = columns
        .iter()
        .map(|column| column.style.line_height())
        .fold(0.0, f32::max);
    WrappedRow {
        cells,
        lines,
        line_height,
        height: lines as f32 * line_height,
    }
}

/// Wraps text into lines no wider than `width`: at spaces where possible, anywhere inside
/// a word that is wider than a line. Every `\n` starts a new line; an empty text is one
/// empty line.
pub(crate) fn wrap(text: &str, style: Style, width: f32) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    for source_line in text.split('\n') {
        let before = lines.len();
        wrap_line(&encode(source_line), style, width, &mut lines);
        if lines.len() == before {
            lines.push(Vec::new());
        }
    }
    lines
}

fn wrap_line(text: &[u8], style: Style, width: f32, lines: &mut Vec<Vec<u8>>) {
    let space = style.width(b" ");
    let mut line: Vec<u8> = Vec::new();
    let mut line_width = 0.0;
    for word in text
        .split(|&byte| byte == b' ')
        .filter(|word| !word.is_empty())
    {
        let word_width = style.width(word);
        if !line.is_empty() && line_width + space + word_width <= width {
            line.push(b' ');
            line.extend_from_slice(word);
            line_width += space + word_width;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        let mut rest = word;
        while style.width(rest) > width {
            let split = fitting_prefix(rest, style, width);
            lines.push(rest[..split].to_vec());
            rest = &rest[split..];
        }
        line = rest.to_vec();
        line_width = style.width(rest);
    }
    if !line.is_empty() {
        lines.push(line);
    }
}

/// Length of the longest prefix that fits in `width`, at least one byte so wrapping
/// always advances.
fn fitting_prefix(text: &[u8], style: Style, width: f32) -> usize {
    let mut used = 0.0;
    for (index, &byte) in text.iter().enumerate() {
        used += style.width(&[byte]);
        if used > width {
            return index.max(1);
        }
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(page: &Page) -> Vec<String> {
        page.items
            .iter()
            .filter_map(|item| match item {
                Item::Text { text, .. } => Some(String::from_utf8_lossy(text).into_owned()),
                Item::Rule { .. } => None,
            })
            .collect()
    }

    #[test]
    fn wrapping_breaks_at_spaces_within_the_measured_width() {
        let text = "Antrag auf Änderung der Geschäftsordnung des Betriebsrats und der Wahlordnung";
        // 'Antrag auf Änderung der' is 109.5 pt wide at 10 pt (AFM widths); the next word does not fit.
        let lines = wrap(text, Style::BODY, 120.0);
        assert_eq!(
            String::from_utf8_lossy(&lines[0]),
            "Antrag auf \u{fffd}nderung der"
        );
        for line in &lines {
            assert!(Style::BODY.width(line) <= 120.0, "{line:?} is too wide");
        }
        let rejoined: Vec<u8> = lines.join(&b' ');
        assert_eq!(rejoined, encode(text));
    }

    #[test]
    fn wide_letters_wrap_earlier_than_narrow_ones() {
        // Same number of letters, different widths: the metrics decide, not the count.
        let wide = wrap(&"WM ".repeat(40), Style::BODY, 200.0);
        let narrow = wrap(&"il ".repeat(40), Style::BODY, 200.0);
        assert!(
            wide.len() > narrow.len(),
            "{} vs {}",
            wide.len(),
            narrow.len()
        );
    }

    #[test]
    fn words_wider_than_a_line_break_anywhere() {
        let hash = "a".repeat(100);
        let lines = wrap(&hash, Style::CODE, 100.0);
        // Courier: 600/1000 em × 9 pt = 5.4 pt a glyph; 18 fit into 100 pt.
        assert!(lines[..lines.len() - 1].iter().all(|line| line.len() == 18));
        assert_eq!(lines.concat(), hash.as_bytes());
        assert_eq!(wrap("", Style::BODY, 100.0), vec![Vec::<u8>::new()]);
        assert_eq!(wrap("a\n\nb", Style::BODY, 100.0).len(), 3);
        // A line narrower than one glyph still advances.
        assert_eq!(wrap("abc", Style::BODY, 1.0).len(), 3);
    }

    #[test]
    fn long_tables_continue_on_new_pages_with_their_header() {
        let table = Table {
            columns: vec![
                Column {
                    share: 0.6,
                    style: Style::BODY,
                },
                Column {
                    share: 0.4,
                    style: Style::BODY,
                },
            ],
            header: Some(vec!["Name".into(), "Stimme".into()]),
            rows: (0..120)
                .map(|i| vec![format!("Person {i}"), "Ja".into()])
                .collect(),
        };
        let pages = lay_out(&[Block::Title("T".into()), Block::Table(table)], 100).unwrap();
        assert!(pages.len() >= 2, "{} pages", pages.len());
        for page in &pages[1..] {
            assert_eq!(texts(page)[..2], ["Name", "Stimme"]);
        }
        let rows: usize = pages
            .iter()
            .map(|page| {
                texts(page)
                    .iter()
                    .filter(|t| t.starts_with("Person"))
                    .count()
            })
            .sum();
        assert_eq!(rows, 120);
        for item in pages.iter().flat_map(|page| &page.items) {
            if let Item::Text { baseline, .. } = item {
                assert!(
                    *baseline >= MARGIN - Style::BODY.size && *baseline <= PAGE_HEIGHT - MARGIN
                );
            }
        }
    }

    #[test]
    fn a_heading_moves_with_a_table_that_moves_to_the_next_page() {
        let filler = Block::Paragraph("Zeile\n".repeat(46), Style::BODY);
        let table = Table {
            columns: vec![Column {
                share: 1.0,
                style: Style::BODY,
            }],
            header: Some(vec!["Option".into()]),
            rows: (0..8).map(|i| vec![format!("Zeile {i}")]).collect(),
        };
        let blocks = [
            filler,
            Block::Heading("Ergebnis".into()),
            Block::Table(table),
        ];
        let pages = lay_out(&blocks, 10).unwrap();
        assert_eq!(pages.len(), 2);
        assert!(
            !texts(&pages[0]).contains(&"Ergebnis".to_owned()),
            "heading left behind"
        );
        assert_eq!(texts(&pages[1])[..2], ["Ergebnis", "Option"]);
        let Some(Item::Text { baseline, .. }) = pages[1].items.first() else {
            panic!()
        };
        assert!((baseline - (PAGE_HEIGHT - MARGIN - Style::HEADING.size)).abs() < 0.01);
    }

    #[test]
    fn the_page_limit_is_an_error() {
        let long = Block::Paragraph("Zeile\n".repeat(1000), Style::BODY);
        assert!(matches!(
            lay_out(&[long], 3),
            Err(PdfError::TooManyPages { limit: 3 })
        ));
    }

    #[test]
    fn footers_are_centred_on_every_page() {
        let mut pages = vec![Page::default(), Page::default()];
        add_footers(&mut pages, |page, count| {
            format!("Seite {page} von {count}")
        });
        let Some(Item::Text { x, text, .. }) = pages[1].items.last() else {
            panic!("no footer")
        };
        assert_eq!(text, b"Seite 2 von 2");
        let width = Style::FOOTER.width(text);
        assert!((x + width / 2.0 - PAGE_WIDTH / 2.0).abs() < 0.01);
    }
}
