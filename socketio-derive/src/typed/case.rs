//! Event names from variant names: serde's `rename_all` styles, with the same rules
//! (`serde_derive`'s `RenameRule` for variants, which are PascalCase).

/// A `rename_all` style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Case {
    Lower,
    Upper,
    Pascal,
    Camel,
    Snake,
    ScreamingSnake,
    Kebab,
    ScreamingKebab,
}

/// The styles, as written in `rename_all = "…"`.
pub(crate) const STYLES: [(&str, Case); 8] = [
    ("lowercase", Case::Lower),
    ("UPPERCASE", Case::Upper),
    ("PascalCase", Case::Pascal),
    ("camelCase", Case::Camel),
    ("snake_case", Case::Snake),
    ("SCREAMING_SNAKE_CASE", Case::ScreamingSnake),
    ("kebab-case", Case::Kebab),
    ("SCREAMING-KEBAB-CASE", Case::ScreamingKebab),
];

impl Case {
    pub(crate) fn from_style(style: &str) -> Option<Case> {
        STYLES
            .iter()
            .find(|(name, _)| *name == style)
            .map(|(_, case)| *case)
    }

    /// The event name of the PascalCase variant name `variant`.
    pub(crate) fn apply(self, variant: &str) -> String {
        match self {
            Case::Lower => variant.to_ascii_lowercase(),
            Case::Upper => variant.to_ascii_uppercase(),
            Case::Pascal => variant.to_owned(),
            Case::Camel => {
                let mut chars = variant.chars();
                match chars.next() {
                    Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
                    None => String::new(),
                }
            }
            Case::Snake => snake(variant),
            Case::ScreamingSnake => snake(variant).to_ascii_uppercase(),
            Case::Kebab => snake(variant).replace('_', "-"),
            Case::ScreamingKebab => snake(variant).to_ascii_uppercase().replace('_', "-"),
        }
    }
}

/// `ChatMessage` → `chat_message` (an underscore before each uppercase letter but the
/// first, as serde does).
fn snake(variant: &str) -> String {
    let mut out = String::with_capacity(variant.len() + 4);
    for (index, ch) in variant.char_indices() {
        if index > 0 && ch.is_uppercase() {
            out.push('_');
        }
        out.push(ch.to_ascii_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_style_renames_like_serde() {
        let expected = [
            ("lowercase", "chatmessage"),
            ("UPPERCASE", "CHATMESSAGE"),
            ("PascalCase", "ChatMessage"),
            ("camelCase", "chatMessage"),
            ("snake_case", "chat_message"),
            ("SCREAMING_SNAKE_CASE", "CHAT_MESSAGE"),
            ("kebab-case", "chat-message"),
            ("SCREAMING-KEBAB-CASE", "CHAT-MESSAGE"),
        ];
        for (style, name) in expected {
            let case = Case::from_style(style).expect("a known style");
            assert_eq!(case.apply("ChatMessage"), name, "{style}");
        }
        assert_eq!(Case::Snake.apply("A"), "a");
        assert_eq!(Case::Snake.apply("HTTPGet"), "h_t_t_p_get");
        assert_eq!(Case::from_style("Snake_Case"), None);
    }
}
