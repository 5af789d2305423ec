//! Splitting an instruction's arguments into words, the way Docker's parser does.
//!
//! Blanks separate words, except inside quotes or after the escape character. Words are kept
//! *raw* — quotes and escapes stay in — because removing them is part of variable expansion
//! (`'$HOME'` must stay literal, `"$HOME"` must not), which happens later, at build time.

/// A raw word and the byte offset in its logical line where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawWord {
    /// The word as written, quotes and escapes included.
    pub text: String,
    /// Byte offset of its first character in the logical line.
    pub offset: usize,
}

/// Why a line could not be split: the byte offset of the problem and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitError {
    /// Byte offset in the logical line.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

// ANCHOR: split_words
/// Splits `text` (which starts at byte `base` of its logical line) into raw words.
pub fn split_words(text: &str, base: usize, escape: char) -> Result<Vec<RawWord>, SplitError> {
    let mut words = Vec::new();
    let mut current: Option<RawWord> = None;
    let mut quote: Option<(char, usize)> = None;
    let mut chars = text.char_indices();
    while let Some((i, ch)) = chars.next() {
        if quote.is_none() && ch.is_whitespace() {
            words.extend(current.take());
            continue;
        }
        let word = current.get_or_insert_with(|| RawWord {
            text: String::new(),
            offset: base + i,
        });
        word.text.push(ch);
        match quote {
            Some((q, _)) if ch == q => quote = None,
            // Nothing is special inside single quotes, not even the escape character.
            Some(('\'', _)) => {}
            _ if ch == escape => word.text.extend(chars.next().map(|(_, c)| c)),
            None if ch == '\'' || ch == '"' => quote = Some((ch, base + i)),
            _ => {}
        }
    }
    if let Some((q, offset)) = quote {
        let name = if q == '"' { "double" } else { "single" };
        return Err(SplitError {
            offset,
            message: format!("unterminated {name} quote: expected a closing {q}"),
        });
    }
    words.extend(current);
    Ok(words)
}
// ANCHOR_END: split_words

/// Whether `raw`, written among other words, reads back as exactly itself (used to decide how to
/// write a word out). A word ending in the escape character (then maybe an escaped blank) does
/// not: it would swallow the blank after it, or continue the line.
pub fn is_single_word(raw: &str, escape: char) -> bool {
    let alone = matches!(split_words(raw, 0, escape).as_deref(), Ok([w]) if w.text == raw);
    alone && !raw.trim_end().ends_with(escape)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        split_words(text, 0, '\\')
            .unwrap()
            .into_iter()
            .map(|w| w.text)
            .collect()
    }

    #[test]
    fn blanks_separate_words_but_quotes_and_escapes_do_not() {
        assert_eq!(words("  a  b\t c "), ["a", "b", "c"]);
        assert_eq!(
            words(r#"k="a b" 'c d'e f\ g"#),
            [r#"k="a b""#, "'c d'e", r"f\ g"]
        );
        assert_eq!(
            words(r#""a \" b" c"#),
            [r#""a \" b""#, "c"],
            "an escaped quote does not end the quote"
        );
        assert_eq!(
            words(r"'a \' b"),
            [r"'a \'", "b"],
            "single quotes cannot be escaped"
        );
    }

    #[test]
    fn offsets_are_where_each_word_starts() {
        let split = split_words("ab  'c d'", 10, '\\').unwrap();
        assert_eq!(split.iter().map(|w| w.offset).collect::<Vec<_>>(), [10, 14]);
    }

    #[test]
    fn an_unterminated_quote_names_itself_and_where_it_opened() {
        let err = split_words(r#"a "bc"#, 4, '\\').unwrap_err();
        assert_eq!(err.offset, 6);
        assert_eq!(
            err.message,
            "unterminated double quote: expected a closing \""
        );
    }

    #[test]
    fn single_words_are_recognised() {
        assert!(is_single_word(r#""a b""#, '\\'));
        assert!(!is_single_word("a b", '\\'));
        assert!(!is_single_word("", '\\'));
        assert!(!is_single_word(" a", '\\'));
        assert!(!is_single_word("a\\", '\\'), "it would continue the line");
        assert!(
            !is_single_word("a\\ ", '\\'),
            "so would an escaped blank at the end"
        );
    }
}
