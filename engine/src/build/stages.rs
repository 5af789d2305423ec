//! Which stages a multi-stage build runs, and what `FROM x` and `COPY --from=x` refer to.
//!
//! Only the stages the target needs are built — the target, the stages it names in `FROM` or
//! `COPY --from`, and theirs — so a `--target builder` build stops early and a final stage that
//! copies one file from a builder gets only that file.

use super::dockerfile::{Dockerfile, Instruction, Scope};
use super::error::{BuildError, Result};

/// The index of the stage `--target` names, or the last stage.
pub fn target_index(file: &Dockerfile, target: Option<&str>) -> Result<usize> {
    match target {
        None => Ok(file.stages.len() - 1),
        Some(name) => file
            .stages
            .iter()
            .position(|s| s.name() == Some(name.to_ascii_lowercase().as_str()))
            .ok_or_else(|| {
                BuildError::Stage(format!("failed to reach build target {name} in Dockerfile"))
            }),
    }
}

/// The earlier stage (index below `before`) that `reference` names: by name, or by number.
pub fn stage_index(file: &Dockerfile, reference: &str, before: usize) -> Option<usize> {
    let lower = reference.to_ascii_lowercase();
    let by_name = file.stages[..before]
        .iter()
        .position(|s| s.name() == Some(lower.as_str()));
    by_name.or_else(|| reference.parse::<usize>().ok().filter(|i| *i < before))
}

// ANCHOR: needed
/// The stages to build for `target`, in Dockerfile order.
pub fn needed(file: &Dockerfile, target: usize, global: &Scope) -> Result<Vec<usize>> {
    let mut wanted = vec![false; file.stages.len()];
    let mut todo = vec![target];
    while let Some(index) = todo.pop() {
        if std::mem::replace(&mut wanted[index], true) {
            continue;
        }
        todo.extend(dependencies(file, index, global)?);
    }
    Ok((0..file.stages.len()).filter(|i| wanted[*i]).collect())
}
// ANCHOR_END: needed

/// The earlier stages stage `index` builds on (`FROM`) or copies from (`COPY --from`).
fn dependencies(file: &Dockerfile, index: usize, global: &Scope) -> Result<Vec<usize>> {
    let stage = &file.stages[index];
    let expand = |w| {
        global
            .expand(w)
            .map_err(|error| BuildError::Stage(error.to_string()))
    };
    let mut deps = Vec::new();
    deps.extend(stage_index(file, &expand(&stage.from.node.image)?, index));
    for instruction in &stage.instructions {
        if let Instruction::Copy(copy) = &instruction.node {
            if let Some(from) = &copy.from {
                deps.extend(stage_index(file, &expand(from)?, index));
            }
        }
    }
    Ok(deps)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::build::dockerfile::parse;

    fn needed_for(text: &str, target: Option<&str>) -> Vec<usize> {
        let file = parse(text).unwrap();
        let global = Scope::global(&file, &BTreeMap::new()).unwrap();
        needed(&file, target_index(&file, target).unwrap(), &global).unwrap()
    }

    #[test]
    fn only_the_stages_the_target_needs_are_built() {
        let text = "FROM a AS deps\nFROM b AS unused\nFROM deps AS builder\nFROM c\nCOPY --from=builder /x /x\n";
        assert_eq!(needed_for(text, None), [0, 2, 3]);
        assert_eq!(needed_for(text, Some("builder")), [0, 2]);
        assert_eq!(needed_for(text, Some("unused")), [1]);
    }

    #[test]
    fn stages_are_named_or_numbered_and_only_earlier_ones_count() {
        let file = parse("FROM a AS Builder\nFROM b\nCOPY --from=0 /x /x\n").unwrap();
        assert_eq!(stage_index(&file, "BUILDER", 1), Some(0));
        assert_eq!(stage_index(&file, "0", 1), Some(0));
        assert_eq!(
            stage_index(&file, "1", 1),
            None,
            "a stage cannot use itself or a later one"
        );
        assert_eq!(stage_index(&file, "nginx:alpine", 1), None);
    }

    #[test]
    fn an_unknown_target_is_an_error() {
        let file = parse("FROM a AS one\n").unwrap();
        let err = target_index(&file, Some("two")).unwrap_err().to_string();
        assert_eq!(err, "failed to reach build target two in Dockerfile");
    }
}
