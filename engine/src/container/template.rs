//! `--format '{{.State.Pid}}'`: the part of Go's `text/template` that `docker inspect --format`
//! is used with, evaluated over the JSON that `inspect` prints.
//!
//! Supported: field paths (`{{.State.Pid}}`, `{{.}}`), `{{json .Config}}`, `{{upper …}}`,
//! `{{lower …}}`, `{{index .Labels "key"}}`, and `{{range .Mounts}}…{{end}}` (which makes each element
//! `.` in turn). Values print as Go prints them: strings bare, `[a b]` for lists, `map[k:v]` for
//! objects, `<nil>` for null.

use serde_json::Value;

use crate::{Error, Result};

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    nodes: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Text(String),
    Action(Action),
    Range(Path, Vec<Node>),
}

#[derive(Debug, Clone, PartialEq)]
enum Action {
    Print(Path),
    Json(Path),
    Upper(Path),
    Lower(Path),
    Index(Path, String),
}

/// `.A.B.C` as its field names (empty: `.` itself).
type Path = Vec<String>;

fn bad(message: String) -> Error {
    Error::InvalidArgument(format!("template parsing error: {message}"))
}

fn parse_path(text: &str) -> Result<Path> {
    let rest = text
        .strip_prefix('.')
        .ok_or_else(|| bad(format!("unexpected {text:?}: a field path starts with '.'")))?;
    if rest.is_empty() {
        return Ok(Vec::new());
    }
    rest.split('.')
        .map(|f| {
            if f.is_empty() {
                Err(bad(format!("bad field path {text:?}")))
            } else {
                Ok(f.to_string())
            }
        })
        .collect()
}

/// One `{{ … }}`: an action, or the start or end of a `range`.
enum Tag {
    Action(Action),
    Range(Path),
    End,
}

fn parse_tag(inner: &str) -> Result<Tag> {
    let words: Vec<&str> = inner.split_whitespace().collect();
    Ok(match words.as_slice() {
        ["end"] => Tag::End,
        ["range", path] => Tag::Range(parse_path(path)?),
        [path] => Tag::Action(Action::Print(parse_path(path)?)),
        ["json", path] => Tag::Action(Action::Json(parse_path(path)?)),
        ["upper", path] => Tag::Action(Action::Upper(parse_path(path)?)),
        ["lower", path] => Tag::Action(Action::Lower(parse_path(path)?)),
        ["index", path, key] if key.len() >= 2 && key.starts_with('"') && key.ends_with('"') => {
            Tag::Action(Action::Index(
                parse_path(path)?,
                key[1..key.len() - 1].to_string(),
            ))
        }
        _ => return Err(bad(format!("unsupported action {{{{{inner}}}}}"))),
    })
}

impl Template {
    /// Parses a template.
    pub fn parse(text: &str) -> Result<Self> {
        let mut stack: Vec<(Path, Vec<Node>)> = Vec::new();
        let mut nodes = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            let Some(start) = rest.find("{{") else {
                nodes.push(Node::Text(rest.to_string()));
                break;
            };
            if start > 0 {
                nodes.push(Node::Text(rest[..start].to_string()));
            }
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .ok_or_else(|| bad("unclosed action".into()))?;
            match parse_tag(after[..end].trim())? {
                Tag::Action(action) => nodes.push(Node::Action(action)),
                Tag::Range(path) => stack.push((path, std::mem::take(&mut nodes))),
                Tag::End => {
                    let (path, outer) = stack
                        .pop()
                        .ok_or_else(|| bad("unexpected {{end}}".into()))?;
                    let body = std::mem::replace(&mut nodes, outer);
                    nodes.push(Node::Range(path, body));
                }
            }
            rest = &after[end + 2..];
        }
        if !stack.is_empty() {
            return Err(bad("unexpected EOF: {{range}} without {{end}}".into()));
        }
        Ok(Template { nodes })
    }

    /// Evaluates the template with `data` as `.`.
    pub fn render(&self, data: &Value) -> Result<String> {
        let mut out = String::new();
        render_nodes(&self.nodes, data, &mut out)?;
        Ok(out)
    }
}

fn lookup<'a>(data: &'a Value, path: &Path) -> Result<&'a Value> {
    let mut value = data;
    for (i, field) in path.iter().enumerate() {
        let shown = format!(".{}", path[..=i].join("."));
        value = match value {
            Value::Object(map) => map.get(field).ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "template: executing at <{shown}>: map has no entry for key {field:?}"
                ))
            })?,
            Value::Null => return Ok(&Value::Null),
            other => {
                return Err(Error::InvalidArgument(format!(
                    "template: executing at <{shown}>: can't evaluate field {field} in {}",
                    kind(other)
                )))
            }
        };
    }
    Ok(value)
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "nil",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "slice",
        Value::Object(_) => "map",
    }
}

fn render_nodes(nodes: &[Node], data: &Value, out: &mut String) -> Result<()> {
    for node in nodes {
        match node {
            Node::Text(text) => out.push_str(text),
            Node::Action(action) => out.push_str(&evaluate(action, data)?),
            Node::Range(path, body) => match lookup(data, path)? {
                Value::Array(items) => items
                    .iter()
                    .try_for_each(|item| render_nodes(body, item, out))?,
                Value::Object(map) => map
                    .values()
                    .try_for_each(|item| render_nodes(body, item, out))?,
                Value::Null => {}
                other => {
                    return Err(Error::InvalidArgument(format!(
                        "template: range can't iterate over {}",
                        go_string(other)
                    )))
                }
            },
        }
    }
    Ok(())
}

fn evaluate(action: &Action, data: &Value) -> Result<String> {
    Ok(match action {
        Action::Print(path) => go_string(lookup(data, path)?),
        Action::Json(path) => {
            serde_json::to_string(lookup(data, path)?).expect("a JSON value serializes")
        }
        Action::Upper(path) => go_string(lookup(data, path)?).to_uppercase(),
        Action::Lower(path) => go_string(lookup(data, path)?).to_lowercase(),
        Action::Index(path, key) => match lookup(data, path)? {
            Value::Object(map) => map
                .get(key)
                .map(go_string)
                .unwrap_or_else(|| "<no value>".into()),
            other => {
                return Err(Error::InvalidArgument(format!(
                    "template: can't index item of type {}",
                    kind(other)
                )))
            }
        },
    })
}

// ANCHOR: go_string
/// A value as Go's `fmt` prints it with `%v`.
pub fn go_string(value: &Value) -> String {
    match value {
        Value::Null => "<nil>".into(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(go_string).collect::<Vec<_>>().join(" ")
        ),
        Value::Object(map) => format!(
            "map[{}]",
            map.iter()
                .map(|(k, v)| format!("{k}:{}", go_string(v)))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    }
}
// ANCHOR_END: go_string

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn render(template: &str, data: &Value) -> Result<String> {
        Template::parse(template)?.render(data)
    }

    #[test]
    fn field_paths_print_like_go() {
        let data = json!({"Name": "/web", "State": {"Pid": 4242, "Running": true}, "Args": ["-c", "x"], "Labels": {"a": "1"}, "Nothing": null});
        assert_eq!(render("{{.State.Pid}}", &data).unwrap(), "4242");
        assert_eq!(
            render("{{ .Name }} is running: {{.State.Running}}", &data).unwrap(),
            "/web is running: true"
        );
        assert_eq!(
            render("{{.Args}} {{.Labels}} {{.Nothing}}", &data).unwrap(),
            "[-c x] map[a:1] <nil>"
        );
        assert_eq!(
            render("{{json .State}}", &data).unwrap(),
            r#"{"Pid":4242,"Running":true}"#
        );
        assert_eq!(
            render("{{index .Labels \"a\"}}{{upper .Name}}", &data).unwrap(),
            "1/WEB"
        );
    }

    #[test]
    fn range_visits_each_element() {
        let data = json!({"Mounts": [{"Source": "/a"}, {"Source": "/b"}], "Networks": {"none": {"IPAddress": ""}, "x": {"IPAddress": "10.0.0.2"}}});
        assert_eq!(
            render("{{range .Mounts}}{{.Source}};{{end}}", &data).unwrap(),
            "/a;/b;"
        );
        assert_eq!(
            render("{{range .Networks}}[{{.IPAddress}}]{{end}}", &data).unwrap(),
            "[][10.0.0.2]"
        );
    }

    #[test]
    fn mistakes_are_reported_like_go_templates_do() {
        let data = json!({"State": {"Pid": 1}});
        assert!(render("{{.Nope}}", &data)
            .unwrap_err()
            .to_string()
            .contains("map has no entry for key \"Nope\""));
        assert!(render("{{.State.Pid.X}}", &data)
            .unwrap_err()
            .to_string()
            .contains("can't evaluate field X"));
        assert!(Template::parse("{{.State").is_err());
        assert!(Template::parse("{{range .A}}x").is_err());
        assert!(Template::parse("{{end}}").is_err());
        assert!(Template::parse("{{printf \"%s\" .A}}").is_err());
    }
}
