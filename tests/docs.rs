//! The registry docs in `docs/` are generated from the schema (every `description`) and the
//! hand-written templates in `templates/`. This test renders them again and fails on any
//! difference, so a schema change without regenerated docs cannot be merged.
//!
//! Regenerate with `make docs` (which runs `UPDATE_DOCS=1 cargo test --test docs`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use terraform_provider_ecs::protocol::docs;
use terraform_provider_ecs::resources;

/// The provider's name: the prefix of its type names, `ecs` in `source = ".../ecs"`.
const PROVIDER: &str = "ecs";
const REGENERATE: &str = "`make docs` (which runs `UPDATE_DOCS=1 cargo test --test docs`)";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// docs/-relative path -> contents, for every page.
fn generated() -> BTreeMap<String, String> {
    let schema = resources::provider().schema();
    let read = |path: &str| -> Result<String, String> {
        // Generated from the resource's attribute table, not a file.
        if path == "generated/instance_changes.md" {
            return Ok(resources::instance::attributes::changes_markdown());
        }
        std::fs::read_to_string(root().join(path)).map_err(|e| format!("cannot read {path}: {e}"))
    };
    docs::pages(&schema, PROVIDER)
        .iter()
        .map(|page| {
            let template_path = root().join("templates").join(page.template_path());
            let template = std::fs::read_to_string(&template_path).ok();
            let text = docs::render(page, template.as_deref(), &read)
                .unwrap_or_else(|e| panic!("templates/{e}"));
            (page.path.clone(), text)
        })
        .collect()
}

/// The generated files now in docs/ (docs/design/ is hand-written and left alone).
fn committed() -> BTreeMap<String, String> {
    let docs = root().join("docs");
    let mut found = BTreeMap::new();
    let mut add = |rel: &str| {
        if let Ok(text) = std::fs::read_to_string(docs.join(rel)) {
            found.insert(rel.to_string(), text);
        }
    };
    add("index.md");
    for dir in ["resources", "data-sources"] {
        for entry in std::fs::read_dir(docs.join(dir))
            .into_iter()
            .flatten()
            .flatten()
        {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".md") {
                add(&format!("{dir}/{name}"));
            }
        }
    }
    found
}

fn write_all(wanted: &BTreeMap<String, String>, stale: &[&String]) {
    let docs = root().join("docs");
    for (rel, text) in wanted {
        let path = docs.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }
    for rel in stale {
        std::fs::remove_file(docs.join(rel)).unwrap();
    }
}

#[test]
fn registry_docs_match_the_schema_and_templates() {
    let wanted = generated();
    let have = committed();
    let stale: Vec<&String> = have.keys().filter(|k| !wanted.contains_key(*k)).collect();
    let differing: Vec<&String> = wanted
        .iter()
        .filter(|(rel, text)| have.get(*rel) != Some(text))
        .map(|(rel, _)| rel)
        .collect();
    if std::env::var_os("UPDATE_DOCS").is_some_and(|v| v == "1") {
        write_all(&wanted, &stale);
        return;
    }
    if differing.is_empty() && stale.is_empty() {
        return;
    }
    let first = differing.first().map(|rel| {
        let (want, have) = (&wanted[*rel], have.get(*rel).map_or("", String::as_str));
        let line = want
            .lines()
            .zip(have.lines().chain(std::iter::repeat("<end of file>")))
            .position(|(w, h)| w != h)
            .unwrap_or(0);
        format!(
            "\nFirst difference in docs/{rel}, line {}:\n  generated: {}\n  committed: {}",
            line + 1,
            want.lines().nth(line).unwrap_or("<end of file>"),
            have.lines().nth(line).unwrap_or("<end of file>"),
        )
    });
    panic!(
        "docs/ is out of date with the schema or templates/.\n\
         Regenerate it with {REGENERATE}, then commit docs/.\n\
         Out of date: {differing:?}; no longer generated: {stale:?}{}",
        first.unwrap_or_default()
    );
}

#[test]
fn every_schema_attribute_and_block_has_a_description() {
    let schema = resources::provider().schema();
    let missing = docs::undocumented(&schema, PROVIDER);
    assert!(
        missing.is_empty(),
        "these have no `description` in the schema (the registry docs, editors and \
         `terraform providers schema -json` show it):\n  {}",
        missing.join("\n  ")
    );
}

#[test]
fn every_template_belongs_to_a_page() {
    let schema = resources::provider().schema();
    let pages: Vec<String> = docs::pages(&schema, PROVIDER)
        .iter()
        .map(docs::Page::template_path)
        .collect();
    let templates = root().join("templates");
    let mut orphans = Vec::new();
    let mut dirs = vec![templates.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let rel = rel_path(&path, &templates);
                if !pages.contains(&rel) {
                    orphans.push(rel);
                }
            }
        }
    }
    assert!(
        orphans.is_empty(),
        "templates for no resource or data source of the schema (renamed or removed?): {orphans:?}"
    );
}

fn rel_path(path: &Path, base: &Path) -> String {
    path.strip_prefix(base)
        .unwrap()
        .to_string_lossy()
        .replace('\\', "/")
}

/// The guides in docs/guides/ are hand-written (no schema behind them): each has the
/// registry's front matter, and every relative link in it leads to a page that exists, so a
/// renamed resource page cannot leave a guide pointing nowhere.
#[test]
fn guides_have_front_matter_and_their_links_resolve() {
    let dir = root().join("docs/guides");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("docs/guides").flatten() {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("md") {
            continue;
        }
        seen += 1;
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).expect("guide");
        assert!(
            text.starts_with("---\npage_title: ") && text.contains("\nsubcategory: "),
            "docs/guides/{name}: the registry's front matter (page_title, subcategory) comes first"
        );
        for (i, _) in text.match_indices("](") {
            let rest = &text[i + 2..];
            let target = &rest[..rest.find(')').expect("closed link")];
            if target.starts_with("http") || target.starts_with('#') {
                continue;
            }
            let file = target.split('#').next().unwrap_or_default();
            assert!(
                dir.join(file).is_file(),
                "docs/guides/{name} links to {target}, which does not exist"
            );
        }
    }
    assert!(seen >= 2, "docs/guides/alicloud.md and migrate.md");
}

/// docs/guides/migrate.md maps alicloud_instance's arguments to ecs_instance's: every
/// attribute its table names on our side must exist, so a rename cannot leave the guide
/// telling users to write an attribute we do not have.
#[test]
fn the_migration_table_names_real_ecs_instance_attributes() {
    let schema = resources::provider().schema();
    let ours: Vec<String> = schema.resources["ecs_instance"]
        .block
        .attributes
        .iter()
        .map(|a| a.name.clone())
        .collect();
    let text = std::fs::read_to_string(root().join("docs/guides/migrate.md")).expect("guide");
    let mut rows = 0;
    for line in text.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let Some(theirs) = cells.get(2) else { continue };
        if cells[1] == "`alicloud_instance`" {
            continue; // the header
        }
        rows += 1;
        for name in theirs.split('`').skip(1).step_by(2) {
            assert!(
                ours.iter().any(|a| a == name),
                "docs/guides/migrate.md maps to `{name}`, which ecs_instance does not have: {line}"
            );
        }
    }
    assert!(rows >= 10, "the mapping table has {rows} rows");
}
