//! A small reader for the XML of Gurux's `GXDLMSTranslator` (no dependency): elements with
//! attributes, comments skipped (Gurux nests them: `<!--Decrypted data: ... <!--Error-->-->`),
//! nothing else. Text between elements other than white space is refused, so that no content
//! goes unread. A [`Cursor`] then walks an element's children in order and fails on any it was
//! not told to expect, naming the element's path.

/// One element.
#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Element>,
}

/// The top-level elements of `text` (comments around them skipped).
pub fn parse(text: &str) -> Result<Vec<Element>, String> {
    let mut p = Parser { s: text, at: 0 };
    let mut out = Vec::new();
    loop {
        p.skip_space_and_comments()?;
        if p.at == p.s.len() {
            return Ok(out);
        }
        out.push(p.element()?);
    }
}

/// The one root element of `text`.
pub fn root(text: &str) -> Element {
    let mut all = parse(text).unwrap_or_else(|e| panic!("Gurux XML: {e}\n{text}"));
    assert_eq!(all.len(), 1, "one root element expected in\n{text}");
    all.remove(0)
}

struct Parser<'a> {
    s: &'a str,
    at: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.s[self.at..]
    }

    fn error(&self, what: &str) -> String {
        let line = self.s[..self.at].matches('\n').count() + 1;
        format!(
            "{what} at line {line}: {:?}",
            &self.rest()[..self.rest().len().min(40)]
        )
    }

    fn skip_space(&mut self) {
        let trimmed = self.rest().trim_start();
        self.at = self.s.len() - trimmed.len();
    }

    /// White space and comments, nested ones included.
    fn skip_space_and_comments(&mut self) -> Result<(), String> {
        loop {
            self.skip_space();
            if !self.rest().starts_with("<!--") {
                return Ok(());
            }
            let mut depth = 0usize;
            loop {
                if self.rest().starts_with("<!--") {
                    depth += 1;
                    self.at += 4;
                } else if self.rest().starts_with("-->") {
                    depth -= 1;
                    self.at += 3;
                    if depth == 0 {
                        break;
                    }
                } else if let Some(c) = self.rest().chars().next() {
                    self.at += c.len_utf8();
                } else {
                    return Err(self.error("unterminated comment"));
                }
            }
        }
    }

    fn name(&mut self) -> Result<String, String> {
        let len = self
            .rest()
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'))
            .unwrap_or(self.rest().len());
        if len == 0 {
            return Err(self.error("a name expected"));
        }
        let name = self.rest()[..len].to_string();
        self.at += len;
        Ok(name)
    }

    fn expect(&mut self, token: &str) -> Result<(), String> {
        if !self.rest().starts_with(token) {
            return Err(self.error(&format!("{token:?} expected")));
        }
        self.at += token.len();
        Ok(())
    }

    fn element(&mut self) -> Result<Element, String> {
        self.expect("<")?;
        let name = self.name()?;
        let mut attributes = Vec::new();
        loop {
            self.skip_space();
            if self.rest().starts_with("/>") {
                self.at += 2;
                return Ok(Element {
                    name,
                    attributes,
                    children: Vec::new(),
                });
            }
            if self.rest().starts_with('>') {
                self.at += 1;
                break;
            }
            let key = self.name()?;
            self.skip_space();
            self.expect("=")?;
            self.skip_space();
            self.expect("\"")?;
            let end = self
                .rest()
                .find('"')
                .ok_or_else(|| self.error("unterminated attribute"))?;
            let value = unescape(&self.rest()[..end]);
            self.at += end + 1;
            attributes.push((key, value));
        }
        let mut children = Vec::new();
        loop {
            self.skip_space_and_comments()?;
            if self.rest().starts_with("</") {
                self.at += 2;
                let close = self.name()?;
                if close != name {
                    return Err(self.error(&format!("</{name}> expected, found </{close}>")));
                }
                self.skip_space();
                self.expect(">")?;
                return Ok(Element {
                    name,
                    attributes,
                    children,
                });
            }
            if !self.rest().starts_with('<') {
                return Err(self.error(&format!("text inside <{name}>")));
            }
            children.push(self.element()?);
        }
    }
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Walks an element: its attributes are read by name, its children in order; [`Cursor::end`]
/// fails on any child not read. Every failure names the element's path.
pub struct Cursor<'a> {
    pub element: &'a Element,
    pub path: String,
    next: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor on `element`, whose path starts with `context` (e.g. the frame).
    pub fn new(element: &'a Element, context: &str) -> Self {
        Cursor {
            element,
            path: format!("{context}: /{}", element.name),
            next: 0,
        }
    }

    pub fn name(&self) -> &'a str {
        &self.element.name
    }

    /// An attribute, which must be there.
    pub fn attr(&self, key: &str) -> &'a str {
        self.element
            .attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("{}: no {key} attribute", self.path))
    }

    /// The `Value` attribute.
    pub fn value(&self) -> &'a str {
        self.attr("Value")
    }

    /// The attributes present must be these.
    pub fn only_attributes(&self, keys: &[&str]) {
        for (k, _) in &self.element.attributes {
            assert!(
                keys.contains(&k.as_str()),
                "{}: unexpected attribute {k}",
                self.path
            );
        }
    }

    /// The name of the next unread child, if any.
    pub fn peek(&self) -> Option<&'a str> {
        self.element
            .children
            .get(self.next)
            .map(|c| c.name.as_str())
    }

    /// The next child, whatever its name.
    pub fn any(&mut self) -> Cursor<'a> {
        let child = self
            .element
            .children
            .get(self.next)
            .unwrap_or_else(|| panic!("{}: a child element expected, none left", self.path));
        self.next += 1;
        Cursor {
            element: child,
            path: format!("{}/{}", self.path, child.name),
            next: 0,
        }
    }

    /// The next child, which must be named `name`.
    pub fn child(&mut self, name: &str) -> Cursor<'a> {
        match self.peek() {
            Some(found) if found == name => self.any(),
            found => panic!("{}: <{name}> expected, found {found:?}", self.path),
        }
    }

    /// The next child if it is named `name`.
    pub fn optional(&mut self, name: &str) -> Option<Cursor<'a>> {
        (self.peek() == Some(name)).then(|| self.any())
    }

    /// The `Value` of the next child, which must be named `name` and have no children.
    pub fn leaf(&mut self, name: &str) -> &'a str {
        let c = self.child(name);
        c.only_attributes(&["Value"]);
        let v = c.value();
        c.end();
        v
    }

    /// Every child was read.
    pub fn end(self) {
        if let Some(name) = self.peek() {
            panic!("{}: unexpected element <{name}>", self.path);
        }
    }
}

#[test]
fn the_xml_reader_skips_nested_comments_and_refuses_stray_text() {
    let text = "<!--a\n<!--b-->\n-->\n<A X=\"1\" >\n <!--c--> <B Value=\"&lt;2&gt;\" />\n</A>";
    let a = root(text);
    assert_eq!(a.name, "A");
    assert_eq!(a.attributes, vec![("X".to_string(), "1".to_string())]);
    assert_eq!(a.children[0].attributes[0].1, "<2>");
    assert!(parse("<A>text</A>").is_err());
    assert!(parse("<A><B/></C>").is_err());
    assert!(parse("<!--open").is_err());
}
