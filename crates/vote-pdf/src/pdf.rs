//! Serialises laid-out pages into a PDF file with `pdf-writer`.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use crate::layout::{Item, PAGE_HEIGHT, PAGE_WIDTH, Page, Style};
use crate::metrics::Font;

/// Document-level metadata.
pub(crate) struct Metadata<'a> {
    pub(crate) title: &'a str,
    /// BCP 47 tag of the text's language, for screen readers.
    pub(crate) language: &'a str,
}

/// Writes the pages as an A4 PDF using the standard fonts in WinAnsiEncoding.
pub(crate) fn write(pages: &[Page], metadata: &Metadata) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let mut ids = Ref::new(1);
    let catalog_id = ids.bump();
    let page_tree_id = ids.bump();
    let info_id = ids.bump();
    let font_ids: Vec<(Font, Ref)> = Font::ALL.iter().map(|&font| (font, ids.bump())).collect();
    let page_ids: Vec<(Ref, Ref)> = pages.iter().map(|_| (ids.bump(), ids.bump())).collect();

    pdf.catalog(catalog_id)
        .pages(page_tree_id)
        .lang(TextStr(metadata.language));
    let page_count = i32::try_from(pages.len()).unwrap_or(i32::MAX);
    pdf.pages(page_tree_id)
        .kids(page_ids.iter().map(|&(page, _)| page))
        .count(page_count);
    for &(font, id) in &font_ids {
        pdf.type1_font(id)
            .base_font(Name(font.base_font()))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    for (page, &(page_id, content_id)) in pages.iter().zip(&page_ids) {
        let mut writer = pdf.page(page_id);
        writer.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT));
        writer.parent(page_tree_id);
        writer.contents(content_id);
        let mut resources = writer.resources();
        let mut fonts = resources.fonts();
        for &(font, id) in &font_ids {
            fonts.pair(Name(font.resource_name()), id);
        }
        fonts.finish();
        resources.finish();
        writer.finish();
        pdf.stream(content_id, &content(page));
    }
    pdf.document_info(info_id)
        .title(TextStr(metadata.title))
        .producer(TextStr("Plenum"));
    pdf.finish()
}

fn content(page: &Page) -> Vec<u8> {
    let mut content = Content::new();
    content.set_line_width(Item::RULE_WIDTH);
    for item in &page.items {
        if let Item::Rule { x_from, x_to, y } = *item {
            content.move_to(x_from, y).line_to(x_to, y).stroke();
        }
    }
    content.begin_text();
    let mut current: Option<Style> = None;
    for item in &page.items {
        if let Item::Text {
            x,
            baseline,
            style,
            text,
        } = item
        {
            if current != Some(*style) {
                content.set_font(Name(style.font.resource_name()), style.size);
                current = Some(*style);
            }
            content.set_text_matrix([1.0, 0.0, 0.0, 1.0, *x, *baseline]);
            content.show(Str(text));
        }
    }
    content.end_text();
    content.finish().into_vec()
}
