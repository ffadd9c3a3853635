//! A small Rust lexer for the layer check: identifiers, `::` and punctuation with their line
//! numbers; comments, string literals (plain, byte, raw) and char literals are skipped, and
//! lifetimes dropped. [`strip_cfg_test`] then removes the items `#[cfg(test)]` gates.

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    Ident(String),
    /// `::`
    Sep,
    Punct(char),
}

#[derive(Clone, Debug)]
pub struct Token {
    pub tok: Tok,
    pub line: usize,
}

pub fn lex(src: &str) -> Vec<Token> {
    let s: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    let at = |k: usize| s.get(k).copied().unwrap_or('\0');
    while i < s.len() {
        let c = s[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && at(i + 1) == '/' {
            while i < s.len() && s[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < s.len() {
                if s[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if s[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    line += usize::from(s[i] == '\n');
                    i += 1;
                }
            }
        } else if let Some(skip) = string_start(&s, i) {
            i = skip_string(&s, i + skip, &mut line);
        } else if c == '\'' {
            if at(i + 1) == '\\' {
                // An escaped char literal: skip to its closing quote.
                i += 3;
                while i < s.len() && s[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if at(i + 2) == '\'' {
                i += 3;
            } else {
                // A lifetime or label.
                i += 1;
                while i < s.len() && (s[i].is_alphanumeric() || s[i] == '_') {
                    i += 1;
                }
            }
        } else if c.is_alphabetic() || c == '_' {
            let start = if c == 'r' && at(i + 1) == '#' {
                i + 2
            } else {
                i
            };
            let mut j = start;
            while j < s.len() && (s[j].is_alphanumeric() || s[j] == '_') {
                j += 1;
            }
            let tok = Tok::Ident(s[start..j].iter().collect());
            out.push(Token { tok, line });
            i = j;
        } else if c.is_ascii_digit() {
            while i < s.len() && (s[i].is_alphanumeric() || s[i] == '_') {
                i += 1;
            }
        } else if c == ':' && at(i + 1) == ':' {
            out.push(Token {
                tok: Tok::Sep,
                line,
            });
            i += 2;
        } else {
            out.push(Token {
                tok: Tok::Punct(c),
                line,
            });
            i += 1;
        }
    }
    out
}

/// If a string literal starts at `i` (`"`, `b"`, `c"`, `r"`, `r#"`, `br#"`, …), the length of
/// its prefix up to and including any `#`s (not the quote).
pub fn string_start(s: &[char], i: usize) -> Option<usize> {
    let prev_ident = i > 0 && (s[i - 1].is_alphanumeric() || s[i - 1] == '_');
    if s[i] == '"' {
        return Some(0);
    }
    if prev_ident {
        return None;
    }
    let mut j = i;
    if matches!(s[j], 'b' | 'c') {
        j += 1;
    }
    if s.get(j) == Some(&'r') {
        j += 1;
        while s.get(j) == Some(&'#') {
            j += 1;
        }
    }
    (j > i && s.get(j) == Some(&'"')).then_some(j - i)
}

/// Skip the string literal whose prefix ends at `i` (at its opening quote); returns the index
/// after it.
pub fn skip_string(s: &[char], i: usize, line: &mut usize) -> usize {
    let hashes = s[..i].iter().rev().take_while(|&&c| c == '#').count();
    let raw = hashes > 0 || (i > 0 && s[i - 1] == 'r');
    let mut j = i + 1;
    while j < s.len() {
        match s[j] {
            '\n' => *line += 1,
            '\\' if !raw => {
                *line += usize::from(s.get(j + 1) == Some(&'\n'));
                j += 1;
            }
            '"' if (0..hashes).all(|k| s.get(j + 1 + k) == Some(&'#')) => {
                return j + 1 + hashes;
            }
            _ => {}
        }
        j += 1;
    }
    j
}

pub fn is_ident(t: Option<&Token>, name: &str) -> bool {
    matches!(t, Some(Token { tok: Tok::Ident(n), .. }) if n == name)
}

pub fn is_punct(t: Option<&Token>, c: char) -> bool {
    matches!(t, Some(Token { tok: Tok::Punct(p), .. }) if *p == c)
}

pub fn ident(t: Option<&Token>) -> Option<&str> {
    match t {
        Some(Token {
            tok: Tok::Ident(n), ..
        }) => Some(n),
        _ => None,
    }
}

/// Index after the bracket group opening at `i` (`open`/`close` nest).
pub fn skip_group(t: &[Token], i: usize, open: char, close: char) -> usize {
    let mut depth = 0usize;
    let mut j = i;
    while j < t.len() {
        if is_punct(t.get(j), open) {
            depth += 1;
        } else if is_punct(t.get(j), close) {
            depth -= 1;
            if depth == 0 {
                return j + 1;
            }
        }
        j += 1;
    }
    j
}

/// The tokens without the items `#[cfg(test)]` gates.
pub fn strip_cfg_test(t: &[Token]) -> Vec<Token> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < t.len() {
        let cfg_test = is_punct(t.get(i), '#')
            && is_punct(t.get(i + 1), '[')
            && is_ident(t.get(i + 2), "cfg")
            && is_punct(t.get(i + 3), '(')
            && is_ident(t.get(i + 4), "test")
            && is_punct(t.get(i + 5), ')')
            && is_punct(t.get(i + 6), ']');
        if !cfg_test {
            out.push(t[i].clone());
            i += 1;
            continue;
        }
        let mut j = i + 7;
        while is_punct(t.get(j), '#') && is_punct(t.get(j + 1), '[') {
            j = skip_group(t, j + 1, '[', ']');
        }
        // The gated item: up to `;` or `,` at depth 0, through a `{ … }` body, or up to an
        // unmatched closer (a gated field or statement at the end of its block).
        let mut depth = 0i32;
        while j < t.len() {
            match &t[j].tok {
                Tok::Punct('(' | '[') => depth += 1,
                Tok::Punct(')' | ']') => depth -= 1,
                Tok::Punct('{') if depth == 0 => {
                    j = skip_group(t, j, '{', '}');
                    break;
                }
                Tok::Punct('}') if depth == 0 => break,
                Tok::Punct(';' | ',') if depth == 0 => {
                    j += 1;
                    break;
                }
                _ => {}
            }
            j += 1;
        }
        i = j;
    }
    out
}
