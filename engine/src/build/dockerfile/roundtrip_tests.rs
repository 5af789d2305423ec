//! Property: any Dockerfile the parser can return, written back out, parses to the same thing.

use proptest::collection::vec;
use proptest::prelude::*;

use super::expand::quote;
use super::lines::Directives;
use super::*;

fn pos() -> Pos {
    Pos::new(1, 1)
}

fn word(raw: String) -> Word {
    Word::new(raw, pos())
}

fn escape() -> impl Strategy<Value = char> {
    prop_oneof![Just('\\'), Just('`')]
}

fn name() -> impl Strategy<Value = String> {
    "[A-Za-z_][A-Za-z0-9_]{0,8}"
}

/// A raw word: a plain token, a variable, or any text in double quotes.
fn raw_word(escape: char) -> impl Strategy<Value = Word> {
    prop_oneof![
        "[a-z0-9/._:-]{1,12}".prop_filter("not a flag", |s| !s.starts_with("--")),
        name().prop_map(|n| format!("${{{n}}}")),
        "[ -~]{0,12}".prop_map(move |v| quote(&v, escape)),
    ]
    .prop_map(word)
}

/// Shell text: printable, trimmed, not JSON, not ending in an escape character.
fn shell_text() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9 &|$=._'\"-]{0,30}".prop_map(|s| s.trim_end().to_string())
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        shell_text().prop_map(Command::Shell),
        vec("\\PC{0,8}", 0..4).prop_map(Command::Exec)
    ]
}

fn key_values(escape: char) -> impl Strategy<Value = Vec<KeyValue>> {
    vec((name(), raw_word(escape)), 1..4).prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(k, value)| KeyValue {
                key: word(k),
                value,
            })
            .collect()
    })
}

/// A path of the JSON form: any text, spaces and quotes included.
fn json_path() -> impl Strategy<Value = Word> {
    "[ -~]{1,10}".prop_map(word)
}

fn copy(escape: char, with_from: bool) -> impl Strategy<Value = Copy> {
    let flag = move || proptest::option::of("[a-z0-9:]{1,8}".prop_map(word));
    let from = if with_from {
        flag().boxed()
    } else {
        Just(None).boxed()
    };
    let path = move || prop_oneof![raw_word(escape), json_path()];
    (from, flag(), flag(), vec(path(), 1..3), path()).prop_map(
        |(from, chown, chmod, sources, dest)| Copy {
            from,
            chown,
            chmod,
            sources,
            dest,
        },
    )
}

fn instruction(escape: char) -> impl Strategy<Value = Instruction> {
    prop_oneof![
        command().prop_map(Instruction::Run),
        command().prop_map(Instruction::Cmd),
        command().prop_map(Instruction::Entrypoint),
        key_values(escape).prop_map(Instruction::Env),
        key_values(escape).prop_map(Instruction::Label),
        vec((name(), proptest::option::of(raw_word(escape))), 1..3).prop_map(|d| Instruction::Arg(
            d.into_iter()
                .map(|(name, default)| ArgDecl { name, default })
                .collect()
        )),
        "/[a-z0-9/ ]{0,10}[a-z]".prop_map(|s| Instruction::Workdir(word(s))),
        "[a-z0-9:]{1,10}".prop_map(|s| Instruction::User(word(s))),
        "[A-Za-z][A-Za-z <>@.]{0,20}[a-z>]".prop_map(Instruction::Maintainer),
        copy(escape, true).prop_map(Instruction::Copy),
        copy(escape, false).prop_map(Instruction::Add),
        vec("[0-9]{1,5}(/tcp|/udp)?".prop_map(word), 1..3).prop_map(Instruction::Expose),
        vec(prop_oneof![raw_word(escape), json_path()], 1..3).prop_map(Instruction::Volume),
    ]
}

fn stage(escape: char, index: usize) -> impl Strategy<Value = Stage> {
    let image = "[a-z0-9]{1,8}(:[a-z0-9.]{1,5})?".prop_map(word);
    let platform = proptest::option::of(Just(word("linux/amd64".into())));
    let instructions = vec(
        instruction(escape).prop_map(|node| Located { pos: pos(), node }),
        0..6,
    );
    (image, platform, proptest::bool::ANY, instructions).prop_map(
        move |(image, platform, named, instructions)| {
            let alias = named.then(|| format!("stage{index}"));
            Stage {
                from: Located {
                    pos: pos(),
                    node: FromImage {
                        image,
                        platform,
                        alias,
                    },
                },
                instructions,
            }
        },
    )
}

fn dockerfile() -> impl Strategy<Value = Dockerfile> {
    escape().prop_flat_map(|escape| {
        let args =
            vec((name(), proptest::option::of(raw_word(escape))), 1..3).prop_map(|d| Located {
                pos: pos(),
                node: d
                    .into_iter()
                    .map(|(name, default)| ArgDecl { name, default })
                    .collect(),
            });
        let stages = (stage(escape, 0), stage(escape, 1), 0..3usize)
            .prop_map(|(a, b, n)| [a, b].into_iter().take(n.max(1)).collect::<Vec<_>>());
        (vec(args, 0..2), stages).prop_map(move |(global_args, stages)| Dockerfile {
            directives: Directives {
                escape,
                syntax: None,
            },
            global_args,
            stages,
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn render_then_parse_gives_back_the_same_dockerfile(file in dockerfile()) {
        let text = file.to_string();
        let parsed = parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(parsed, file, "rendered as:\n{}", text);
    }
}
