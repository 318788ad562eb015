//! Registry documentation rendered from the schema, so that the docs cannot drift from what
//! `GetProviderSchema` serves: every argument and attribute, with its type, whether it is
//! required, optional or read-only, and the `description` it carries in the schema.
//!
//! The layout is the Terraform registry's: `index.md` for the provider,
//! `resources/NAME.md` and `data-sources/NAME.md` (NAME without the provider prefix), each
//! opening with the YAML front matter the registry reads. Hand-written text lives in
//! templates (`TEMPLATE.md.tmpl` beside each page's path), in a small subset of the
//! placeholders terraform-plugin-docs uses:
//!
//! - `{{ .Name }}`: the type name (`ecs_instance`; the provider's name on the index page)
//! - `{{ .Description }}`: the block's description from the schema
//! - `{{ .SchemaMarkdown }}`: the generated argument and attribute reference
//! - `{{ tffile "PATH" }}`: a file (an example) in a `terraform` code block
//! - `{{ codefile "LANG" "PATH" }}`: a file in a code block of another language
//! - `{{ include "PATH" }}`: a file's Markdown as it is (the caller may generate it)
//!
//! A page without a template gets a default one, so a new resource or data source is
//! documented as soon as it exists. An unknown placeholder is an error, not silent text.
//!
//! This is a pure function of its inputs: reading templates and example files is the
//! caller's job (`tests/docs.rs`, which also checks the committed `docs/`).

use super::schema::{Attribute, Block, Nesting, ProviderSchema, Schema};
use super::value::Type;
use std::collections::BTreeMap;
use std::fmt::Write;

/// What a page documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Provider,
    Resource,
    DataSource,
}

/// One page to render.
#[derive(Debug)]
pub struct Page<'a> {
    pub kind: Kind,
    /// `ecs_instance`, or the provider's name for the index page.
    pub name: String,
    pub schema: &'a Schema,
    /// Where it goes under `docs/`, e.g. `resources/instance.md`.
    pub path: String,
}

impl Page<'_> {
    /// Where its template is found, relative to the templates directory.
    pub fn template_path(&self) -> String {
        format!("{}.tmpl", self.path)
    }
}

/// Every page of `provider_name`'s documentation, index first.
pub fn pages<'a>(schema: &'a ProviderSchema, provider_name: &str) -> Vec<Page<'a>> {
    let short = |name: &str| -> String {
        name.strip_prefix(&format!("{provider_name}_"))
            .unwrap_or(name)
            .to_string()
    };
    let mut pages = vec![Page {
        kind: Kind::Provider,
        name: provider_name.to_string(),
        schema: &schema.provider,
        path: "index.md".into(),
    }];
    pages.extend(schema.resources.iter().map(|(name, s)| Page {
        kind: Kind::Resource,
        name: name.clone(),
        schema: s,
        path: format!("resources/{}.md", short(name)),
    }));
    pages.extend(schema.data_sources.iter().map(|(name, s)| Page {
        kind: Kind::DataSource,
        name: name.clone(),
        schema: s,
        path: format!("data-sources/{}.md", short(name)),
    }));
    pages
}

const DEFAULT_TEMPLATE: &str = "# {{ .Name }}\n\n{{ .Description }}\n\n{{ .SchemaMarkdown }}";

/// Renders `page` through `template` (the default one when `None`). `read` returns the
/// contents of a file a template includes.
///
/// # Errors
/// An unknown or malformed placeholder, or a file `read` cannot supply; the message names
/// the template.
pub fn render(
    page: &Page<'_>,
    template: Option<&str>,
    read: &dyn Fn(&str) -> Result<String, String>,
) -> Result<String, String> {
    let template = template.unwrap_or(DEFAULT_TEMPLATE);
    let mut out = front_matter(page);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| format!("{}: unclosed {{{{", page.template_path()))?;
        let text = expand(page, after[..end].trim(), read)
            .map_err(|e| format!("{}: {e}", page.template_path()))?;
        out.push_str(&text);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    // One trailing newline, whatever the template ends with.
    Ok(format!("{}\n", out.trim_end()))
}

fn expand(
    page: &Page<'_>,
    placeholder: &str,
    read: &dyn Fn(&str) -> Result<String, String>,
) -> Result<String, String> {
    let words = quoted_words(placeholder)?;
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    match words.as_slice() {
        [".Name"] => Ok(page.name.clone()),
        [".Description"] => Ok(prose(&page.schema.block.description)),
        [".SchemaMarkdown"] => Ok(schema_markdown(page).trim_end().to_string()),
        ["tffile", path] => Ok(fence("terraform", &read(path)?)),
        ["codefile", lang, path] => Ok(fence(lang, &read(path)?)),
        ["include", path] => Ok(read(path)?.trim_end().to_string()),
        _ => Err(format!("unknown placeholder {{{{ {placeholder} }}}}")),
    }
}

/// Splits `tffile "a b"` into `tffile`, `a b`.
fn quoted_words(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            chars.next();
            let word: String = chars.by_ref().take_while(|&c| c != '"').collect();
            words.push(word);
        } else {
            let mut word = String::new();
            while let Some(&c) = chars.peek().filter(|c| !c.is_whitespace()) {
                word.push(c);
                chars.next();
            }
            words.push(word);
        }
    }
    if text.matches('"').count() % 2 == 1 {
        return Err(format!("unbalanced quotes in {{{{ {text} }}}}"));
    }
    Ok(words)
}

fn fence(lang: &str, text: &str) -> String {
    format!("```{lang}\n{}\n```", text.trim_end())
}

/// The registry's front matter: the browser title and the one-line summary.
fn front_matter(page: &Page<'_>) -> String {
    let title = match page.kind {
        Kind::Provider => format!("{} Provider", page.name),
        Kind::Resource => format!("{} Resource", page.name),
        Kind::DataSource => format!("{} Data Source", page.name),
    };
    let mut out = format!("---\npage_title: \"{title}\"\nsubcategory: \"\"\ndescription: |-\n");
    for line in page.schema.block.description.lines() {
        let _ = writeln!(out, "  {line}");
    }
    out.push_str("---\n\n");
    out
}

/// Descriptions are plain text; `<word>` would vanish as an HTML tag on the registry.
fn prose(text: &str) -> String {
    text.replace('<', "&lt;")
}

/// The argument and attribute reference: the top block, then one section per nested block
/// and per object-typed attribute, each linked from where it appears.
fn schema_markdown(page: &Page<'_>) -> String {
    let mut out = String::from("## Schema\n");
    let mut nested = Vec::new();
    block_sections(&page.schema.block, "", true, &mut out, &mut nested);
    while !nested.is_empty() {
        for section in std::mem::take(&mut nested) {
            match section {
                Nested::Block(path, block) => {
                    let _ = write!(
                        out,
                        "\n<a id=\"{}\"></a>\n### Nested Schema for `{path}`\n",
                        anchor("nestedblock", &path)
                    );
                    block_sections(block, &path, false, &mut out, &mut nested);
                }
                Nested::Object(path, fields, read_only) => {
                    let _ = write!(
                        out,
                        "\n<a id=\"{}\"></a>\n### Nested Schema for `{path}`\n\n{}:\n\n",
                        anchor("nestedatt", &path),
                        if read_only { "Read-Only" } else { "Fields" }
                    );
                    for (name, ty) in fields {
                        let _ = writeln!(out, "- `{name}` ({})", type_name(ty));
                    }
                }
            }
        }
    }
    out
}

enum Nested<'a> {
    Block(String, &'a Block),
    Object(String, &'a BTreeMap<String, Type>, bool),
}

fn anchor(kind: &str, path: &str) -> String {
    format!("{kind}--{}", path.replace('.', "--"))
}

/// Required, Optional and Read-Only lists of one block (`top`: as `###` sections; nested
/// blocks use plain labels, as the registry's docs do).
fn block_sections<'a>(
    block: &'a Block,
    path: &str,
    top: bool,
    out: &mut String,
    nested: &mut Vec<Nested<'a>>,
) {
    let join = |name: &str| {
        if path.is_empty() {
            name.to_string()
        } else {
            format!("{path}.{name}")
        }
    };
    let mut groups: [(&str, Vec<String>); 3] = [
        ("Required", Vec::new()),
        ("Optional", Vec::new()),
        ("Read-Only", Vec::new()),
    ];
    let mut attributes: Vec<&Attribute> = block.attributes.iter().collect();
    attributes.sort_by(|a, b| a.name.cmp(&b.name));
    for a in attributes {
        let group = if a.required {
            0
        } else if a.optional {
            1
        } else {
            2
        };
        let mut line = format!("- `{}` ({}", a.name, type_name(&a.ty));
        if a.sensitive {
            line.push_str(", Sensitive");
        }
        let _ = write!(line, ") {}", prose(&a.description));
        if let Some(fields) = object_fields(&a.ty) {
            let path = join(&a.name);
            let _ = write!(
                line,
                " (see [below for nested schema](#{}))",
                anchor("nestedatt", &path)
            );
            nested.push(Nested::Object(path, fields, group == 2));
        }
        groups[group].1.push(line.trim_end().to_string());
    }
    let mut blocks: Vec<_> = block.block_types.iter().collect();
    blocks.sort_by(|a, b| a.type_name.cmp(&b.type_name));
    for b in blocks {
        let path = join(&b.type_name);
        let group = usize::from(b.min_items == 0);
        let kind = match b.nesting {
            Nesting::Single | Nesting::Group => "Block",
            Nesting::List => "Block List",
            Nesting::Set => "Block Set",
            Nesting::Map => "Block Map",
        };
        let mut limits = Vec::new();
        if b.min_items > 0 {
            limits.push(format!("Min: {}", b.min_items));
        }
        if b.max_items > 0 && !matches!(b.nesting, Nesting::Single | Nesting::Group) {
            limits.push(format!("Max: {}", b.max_items));
        }
        let limits = if limits.is_empty() {
            String::new()
        } else {
            format!(", {}", limits.join(", "))
        };
        groups[group].1.push(format!(
            "- `{}` ({kind}{limits}) {} (see [below for nested schema](#{}))",
            b.type_name,
            prose(&b.block.description),
            anchor("nestedblock", &path)
        ));
        nested.push(Nested::Block(path, &b.block));
    }
    for (label, lines) in groups.iter().filter(|(_, l)| !l.is_empty()) {
        if top {
            let _ = write!(out, "\n### {label}\n\n");
        } else {
            let _ = write!(out, "\n{label}:\n\n");
        }
        for line in lines {
            let _ = writeln!(out, "{line}");
        }
    }
}

/// The fields of an object, or of the objects in a collection.
fn object_fields(ty: &Type) -> Option<&BTreeMap<String, Type>> {
    match ty {
        Type::Object(fields) => Some(fields),
        Type::List(t) | Type::Set(t) | Type::Map(t) => object_fields(t),
        _ => None,
    }
}

/// Types as the registry's docs spell them: String, List of Number, Set of Object, ...
fn type_name(ty: &Type) -> String {
    match ty {
        Type::String => "String".into(),
        Type::Number => "Number".into(),
        Type::Bool => "Boolean".into(),
        Type::Dynamic => "Dynamic".into(),
        Type::List(t) => format!("List of {}", type_name(t)),
        Type::Set(t) => format!("Set of {}", type_name(t)),
        Type::Map(t) => format!("Map of {}", type_name(t)),
        Type::Object(_) => "Object".into(),
        Type::Tuple(_) => "Tuple".into(),
    }
}

/// Every schema element without a description, as `WHERE: NAME`; the docs are only as
/// good as these, so a test keeps the list empty.
pub fn undocumented(schema: &ProviderSchema, provider_name: &str) -> Vec<String> {
    let mut missing = Vec::new();
    for page in pages(schema, provider_name) {
        let owner = format!("{:?} {}", page.kind, page.name);
        if page.schema.block.description.trim().is_empty() {
            missing.push(format!("{owner}: the block itself"));
        }
        missing_in(&page.schema.block, "", &owner, &mut missing);
    }
    missing
}

fn missing_in(block: &Block, path: &str, owner: &str, missing: &mut Vec<String>) {
    for a in &block.attributes {
        if a.description.trim().is_empty() {
            missing.push(format!("{owner}: attribute {path}{}", a.name));
        }
    }
    for b in &block.block_types {
        if b.block.description.trim().is_empty() {
            missing.push(format!("{owner}: block {path}{}", b.type_name));
        }
        missing_in(&b.block, &format!("{path}{}.", b.type_name), owner, missing);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::schema::NestedBlock;

    fn sample() -> ProviderSchema {
        let block = Block::new()
            .description("A thing. Default https://<region>.example.")
            .attribute(Attribute::required("name", Type::String).describe("Its name."))
            .attribute(
                Attribute::optional("secret", Type::String)
                    .describe("A secret.")
                    .sensitive(),
            )
            .attribute(Attribute::computed("id", Type::String).describe("Its id."))
            .attribute(
                Attribute::computed(
                    "items",
                    Type::List(Box::new(Type::Object(
                        [("size".to_string(), Type::Number)].into_iter().collect(),
                    ))),
                )
                .describe("Items."),
            )
            .nested(NestedBlock {
                type_name: "timeouts".into(),
                block: Block::new()
                    .description("Time limits.")
                    .attribute(Attribute::optional("create", Type::String).describe("")),
                nesting: Nesting::Single,
                min_items: 0,
                max_items: 0,
            });
        ProviderSchema {
            provider: Schema::new(0, Block::new().description("The provider.")),
            resources: [("p_thing".to_string(), Schema::new(0, block))]
                .into_iter()
                .collect(),
            data_sources: BTreeMap::new(),
        }
    }

    fn no_files(path: &str) -> Result<String, String> {
        Err(format!("no {path}"))
    }

    #[test]
    fn pages_follow_the_registry_layout() {
        let schema = sample();
        let paths: Vec<String> = pages(&schema, "p").into_iter().map(|p| p.path).collect();
        assert_eq!(paths, ["index.md", "resources/thing.md"]);
    }

    #[test]
    fn the_default_template_lists_every_attribute_by_kind() {
        let schema = sample();
        let page = &pages(&schema, "p")[1];
        let text = render(page, None, &no_files).unwrap();
        let expected_start = "---\npage_title: \"p_thing Resource\"\nsubcategory: \"\"\n\
                              description: |-\n  A thing. Default https://<region>.example.\n---\n\n\
                              # p_thing\n\nA thing. Default https://&lt;region>.example.\n\n## Schema\n\n\
                              ### Required\n\n- `name` (String) Its name.\n\n### Optional\n\n\
                              - `secret` (String, Sensitive) A secret.\n\
                              - `timeouts` (Block) Time limits. (see [below for nested schema](#nestedblock--timeouts))\n\n\
                              ### Read-Only\n\n- `id` (String) Its id.\n\
                              - `items` (List of Object) Items. (see [below for nested schema](#nestedatt--items))\n";
        assert!(text.starts_with(expected_start), "{text}");
        assert!(
            text.contains("<a id=\"nestedblock--timeouts\"></a>\n### Nested Schema for `timeouts`\n\nOptional:\n\n- `create` (String)\n"),
            "{text}"
        );
        assert!(
            text.contains("### Nested Schema for `items`\n\nRead-Only:\n\n- `size` (Number)\n"),
            "{text}"
        );
    }

    #[test]
    fn templates_include_files_and_refuse_unknown_placeholders() {
        let schema = sample();
        let page = &pages(&schema, "p")[0];
        let read = |path: &str| -> Result<String, String> {
            assert_eq!(path, "examples/p.tf");
            Ok("provider \"p\" {}\n".into())
        };
        let text = render(
            page,
            Some("# {{.Name}}\n\n{{ tffile \"examples/p.tf\" }}\n"),
            &read,
        )
        .unwrap();
        assert!(
            text.ends_with("# p\n\n```terraform\nprovider \"p\" {}\n```\n"),
            "{text}"
        );
        let err = render(page, Some("{{ .Nope }}"), &no_files).unwrap_err();
        assert!(
            err.contains("index.md.tmpl") && err.contains(".Nope"),
            "{err}"
        );
        let err = render(page, Some("{{ tffile \"missing.tf\" }}"), &no_files).unwrap_err();
        assert!(err.contains("no missing.tf"), "{err}");
        assert!(render(page, Some("{{ .Name"), &no_files).is_err());
    }

    #[test]
    fn undocumented_names_every_gap() {
        let schema = sample();
        assert_eq!(
            undocumented(&schema, "p"),
            ["Resource p_thing: attribute timeouts.create"]
        );
    }
}
