//! The seeds' Dockerfiles (Django, Java, front-end, multi-stage), parsed, snapshotted and expanded;
//! and every kind of malformed input, with the line and column each error must point at.

use std::collections::BTreeMap;

use super::*;

const SEEDS: &[(&str, &str)] = &[
    ("django", include_str!("testdata/django.Dockerfile")),
    ("java_base", include_str!("testdata/java-base.Dockerfile")),
    ("frontend", include_str!("testdata/frontend.Dockerfile")),
    ("java_app", include_str!("testdata/java-app.Dockerfile")),
    (
        "nginx_ubuntu",
        include_str!("testdata/nginx-ubuntu.Dockerfile"),
    ),
    (
        "href_counter_multi",
        include_str!("testdata/href-counter.multi.Dockerfile"),
    ),
    (
        "springboot_multi",
        include_str!("testdata/springboot.multi.Dockerfile"),
    ),
    (
        "eladmin_web_multi",
        include_str!("testdata/eladmin-web.multi.Dockerfile"),
    ),
    (
        "eladmin_multi",
        include_str!("testdata/eladmin.multi.Dockerfile"),
    ),
];

fn seed(name: &str) -> Dockerfile {
    let (_, text) = SEEDS
        .iter()
        .find(|(n, _)| *n == name)
        .expect("a seed of that name");
    parse(text).expect("the seed parses")
}

fn no_build_args() -> BTreeMap<String, String> {
    BTreeMap::new()
}

/// Expands every instruction of stage `index` in order, as a build would, from a base env.
fn expand_stage(
    file: &Dockerfile,
    index: usize,
    base_env: &[&str],
    build_args: &BTreeMap<String, String>,
) -> (Vec<Instruction<String>>, Scope) {
    let global = Scope::global(file, build_args).unwrap();
    let base_env: Vec<String> = base_env.iter().map(|s| s.to_string()).collect();
    let mut scope = global.stage(&base_env);
    let mut out = Vec::new();
    for instruction in &file.stages[index].instructions {
        let expanded = scope.expand_instruction(&instruction.node).unwrap();
        scope.apply(&expanded);
        out.push(expanded);
    }
    (out, scope)
}

#[test]
fn every_seed_dockerfile_parses_to_its_snapshot() {
    for (name, text) in SEEDS {
        let parsed = parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        insta::with_settings!({ prepend_module_to_snapshot => false }, {
            insta::assert_json_snapshot!(*name, parsed);
        });
    }
}

#[test]
fn every_seed_dockerfile_reads_back_the_same_after_rendering() {
    for (name, text) in SEEDS {
        let parsed = parse(text).unwrap();
        let rendered = parsed.to_string();
        assert_eq!(
            parse(&rendered).unwrap(),
            parsed,
            "{name} rendered as:\n{rendered}"
        );
    }
}

#[test]
fn multi_stage_seeds_have_named_builders_and_copy_from_them() {
    let file = seed("href_counter_multi");
    assert_eq!(file.stages.len(), 2);
    assert_eq!(file.stages[0].name(), Some("builder"));
    assert_eq!(file.stages[1].name(), None);
    let Instruction::Copy(copy) = &file.stages[1].instructions[2].node else {
        panic!("expected COPY")
    };
    assert_eq!(copy.from.as_ref().map(|w| w.raw.as_str()), Some("builder"));
    assert_eq!(
        copy.sources[0].raw,
        "/go/src/github.com/alexellis/href-counter/app"
    );
    assert_eq!(copy.dest.raw, ".");
    let file = seed("springboot_multi");
    assert_eq!(
        file.stages[0].name(),
        Some("builder"),
        "lowercase `as` names a stage too"
    );
}

#[test]
fn continued_lines_keep_their_text_and_point_at_their_first_line() {
    let file = seed("java_base");
    let run = &file.stages[0].instructions[0];
    assert_eq!(run.pos, Pos::new(3, 1));
    let Instruction::Run(Command::Shell(text)) = &run.node else {
        panic!("expected a shell RUN")
    };
    assert!(
        text.starts_with("apk add --update ca-certificates && rm -rf /var/cache/apk/* &&   find"),
        "{text}"
    );
    assert!(text.ends_with("--storepass changeit"), "{text}");
    assert!(!text.contains('\n'));
}

#[test]
fn exec_and_shell_forms_are_told_apart() {
    let file = seed("springboot_multi");
    let cmd = &file.stages[1].instructions[1].node;
    assert_eq!(
        cmd,
        &Instruction::Cmd(Command::Exec(vec![
            "sh".into(),
            "-c".into(),
            "java -jar /sample.jar".into()
        ]))
    );
    let file = seed("java_app");
    let cmd = &file.stages[0].instructions.last().unwrap().node;
    assert_eq!(
        cmd,
        &Instruction::Cmd(Command::Shell("java ${JAVA_OPTS} -jar myapp.jar".into())),
        "CMD text is not expanded"
    );
    assert_eq!(
        Command::Shell("echo".into()).argv(),
        ["/bin/sh", "-c", "echo"]
    );
}

#[test]
fn a_quoted_env_value_spread_over_lines_expands_to_one_value() {
    let file = seed("java_app");
    let (expanded, scope) = expand_stage(&file, 0, &["PATH=/usr/bin:/bin"], &no_build_args());
    let env = scope.env();
    assert!(
        env.contains(
            &"JAVA_OPTS=-Xmx4096m -XX:MetaspaceSize=256m -XX:MaxMetaspaceSize=256m".to_string()
        ),
        "{env:?}"
    );
    assert!(
        env.contains(&"PATH=/usr/bin:/bin:/usr/java/jdk/bin".to_string()),
        "the base image's PATH is extended: {env:?}"
    );
    assert!(matches!(&expanded[3], Instruction::Copy(c) if c.dest == "myapp.jar"));
}

#[test]
fn an_arg_default_flows_into_env_and_a_build_arg_overrides_it() {
    let file = seed("frontend");
    let (_, scope) = expand_stage(&file, 0, &[], &no_build_args());
    assert!(
        scope.env().contains(&"TZ=Asia/Shanghai".to_string()),
        "{:?}",
        scope.env()
    );
    let build_args = BTreeMap::from([("TZ".to_string(), "UTC".to_string())]);
    let (_, scope) = expand_stage(&file, 0, &[], &build_args);
    assert!(
        scope.env().contains(&"TZ=UTC".to_string()),
        "{:?}",
        scope.env()
    );
}

#[test]
fn labels_lose_their_quotes_when_expanded() {
    let file = seed("frontend");
    let (expanded, _) = expand_stage(&file, 0, &[], &no_build_args());
    let Instruction::Label(pairs) = &expanded[0] else {
        panic!("expected LABEL")
    };
    assert_eq!(
        (pairs[0].key.as_str(), pairs[0].value.as_str()),
        ("maintainer", "mritd <mritd@linux.com>")
    );
}

#[test]
fn global_args_reach_from_lines_but_a_stage_must_declare_them_again() {
    let file = parse(
        "ARG BASE=toolbox\nARG V=1\nFROM ${BASE}:v$V\nRUN true\nWORKDIR /$V\nARG V\nWORKDIR /$V\n",
    )
    .unwrap();
    let global = Scope::global(&file, &no_build_args()).unwrap();
    assert_eq!(
        global.expand_from(&file.stages[0].from).unwrap().image,
        "toolbox:v1"
    );
    let (expanded, scope) = expand_stage(&file, 0, &[], &no_build_args());
    assert_eq!(
        expanded[1],
        Instruction::Workdir("/".to_string()),
        "V is not declared in the stage yet"
    );
    assert_eq!(
        expanded[3],
        Instruction::Workdir("/1".to_string()),
        "ARG V brings the global value in"
    );
    assert_eq!(scope.run_env(), ["V=1"], "ARGs reach RUN's environment");
    assert!(scope.env().is_empty(), "but are not kept in the image");
}

#[test]
fn env_wins_over_arg_and_one_env_line_sees_the_values_before_it() {
    let file =
        parse("FROM scratch\nARG A=arg\nENV A=env\nENV A=second B=$A\nWORKDIR /$A\n").unwrap();
    let (expanded, scope) = expand_stage(&file, 0, &[], &no_build_args());
    assert_eq!(scope.env(), ["A=second", "B=env"]);
    assert_eq!(expanded[3], Instruction::Workdir("/second".to_string()));
    assert_eq!(
        scope.run_env(),
        ["A=second", "B=env"],
        "the shadowed ARG does not appear"
    );
}

#[test]
fn directives_comments_and_case_are_handled() {
    let file = parse("# escape=`\n# comment\nfrom toolbox as Base\nrun echo a `\n  b\ncopy [\"a b\", \"/c d/\"]\n").unwrap();
    assert_eq!(file.directives.escape, '`');
    assert_eq!(file.stages[0].name(), Some("base"));
    let instructions: Vec<_> = file.stages[0]
        .instructions
        .iter()
        .map(|i| i.node.clone())
        .collect();
    assert_eq!(
        instructions[0],
        Instruction::Run(Command::Shell("echo a   b".into()))
    );
    let Instruction::Copy(copy) = &instructions[1] else {
        panic!("expected COPY")
    };
    assert_eq!(
        (copy.sources[0].raw.as_str(), copy.dest.raw.as_str()),
        ("a b", "/c d/")
    );
}

#[test]
fn copy_flags_are_parsed_and_add_has_no_from() {
    let file = parse(
        "FROM a\nCOPY --chown=app:app --chmod=0644 --from=0 x y /dst/\nADD --chown=1 a.tar.gz /\n",
    )
    .unwrap();
    let Instruction::Copy(copy) = &file.stages[0].instructions[0].node else {
        panic!("expected COPY")
    };
    assert_eq!(copy.chown.as_ref().unwrap().raw, "app:app");
    assert_eq!(copy.chmod.as_ref().unwrap().raw, "0644");
    assert_eq!(copy.from.as_ref().unwrap().raw, "0");
    assert_eq!(copy.sources.len(), 2);
    let err = parse("FROM a\nADD --from=b x y\n").unwrap_err();
    assert_eq!(err.pos, Pos::new(2, 5));
    assert_eq!(
        err.message,
        "unknown flag --from for ADD: expected one of --chown, --chmod"
    );
}

#[test]
fn every_other_instruction_form_parses() {
    let text = "FROM scratch\nMAINTAINER Yongxin Li <inspur_lyx@hotmail.com>\nUSER app:staff\nVOLUME /data /logs\nVOLUME [\"/var/lib/x\"]\nEXPOSE 11211/tcp 11211/udp\nARG a b=2\nENTRYPOINT [\"/usr/bin/wc\",\"--help\"]\nENTRYPOINT top -b\nLABEL a=1 \"b c\"=2\n";
    let file = parse(text).unwrap();
    let nodes: Vec<Instruction> = file.stages[0]
        .instructions
        .iter()
        .map(|i| i.node.clone())
        .collect();
    assert_eq!(
        nodes[0],
        Instruction::Maintainer("Yongxin Li <inspur_lyx@hotmail.com>".into())
    );
    assert!(matches!(&nodes[1], Instruction::User(w) if w.raw == "app:staff"));
    assert!(matches!(&nodes[2], Instruction::Volume(v) if v.len() == 2));
    assert!(matches!(&nodes[3], Instruction::Volume(v) if v[0].raw == "/var/lib/x"));
    assert!(matches!(&nodes[4], Instruction::Expose(v) if v.len() == 2));
    assert!(
        matches!(&nodes[5], Instruction::Arg(d) if d[0].default.is_none() && d[1].default.as_ref().unwrap().raw == "2")
    );
    assert!(matches!(&nodes[6], Instruction::Entrypoint(Command::Exec(a)) if a.len() == 2));
    assert!(matches!(&nodes[7], Instruction::Entrypoint(Command::Shell(t)) if t == "top -b"));
    assert!(matches!(&nodes[8], Instruction::Label(kv) if kv[1].key.raw == "\"b c\""));
}

/// Parses `text` and returns its error's (line, column, message).
fn error(text: &str) -> (usize, usize, String) {
    let err = parse(text).expect_err("the Dockerfile is malformed");
    (err.pos.line, err.pos.column, err.message)
}

#[test]
fn unknown_and_unsupported_instructions_are_named() {
    let (line, column, message) = error("FROM a\n  FROB x\n");
    assert_eq!((line, column), (2, 3));
    assert!(
        message.starts_with("unknown instruction \"FROB\": expected one of FROM, RUN"),
        "{message}"
    );
    let (_, _, message) = error("FROM a\nHEALTHCHECK CMD true\n");
    assert_eq!(
        message,
        "ferry does not support the HEALTHCHECK instruction"
    );
}

#[test]
fn a_missing_from_is_reported() {
    assert_eq!(error("RUN true\n"), (1, 1, "expected FROM before RUN: a build stage starts with FROM (only ARG may come before it)".into()));
    assert_eq!(
        error("# only a comment\nARG A=1\n").2,
        "expected a FROM instruction: the Dockerfile has no build stage"
    );
    assert_eq!(error("").0, 1);
}

#[test]
fn missing_arguments_point_at_the_end_of_the_line() {
    assert_eq!(error("FROM a\nRUN\n"), (2, 4, "RUN needs a command: expected a shell command or a JSON array like [\"executable\", \"arg\"]".into()));
    assert_eq!(
        error("FROM a\nCOPY onlyone\n"),
        (
            2,
            13,
            "COPY needs a source and a destination: expected COPY SRC... DEST".into()
        )
    );
    assert_eq!(
        error("FROM\n").2,
        "FROM needs an image: expected FROM IMAGE [AS NAME]"
    );
    assert_eq!(
        error("FROM a\nENV PATH\n").2,
        "ENV needs a value for PATH: expected ENV NAME VALUE or ENV NAME=VALUE"
    );
    assert_eq!(
        error("FROM a\nWORKDIR   \n").2,
        "WORKDIR needs a directory: expected WORKDIR /path"
    );
}

#[test]
fn malformed_arguments_point_at_the_offending_word() {
    assert_eq!(
        error("FROM a\nENV A=1 B\n"),
        (
            2,
            9,
            "expected NAME=VALUE, found \"B\": every ENV pair needs an = once one does".into()
        )
    );
    assert_eq!(error("FROM a\nLABEL =x\n").1, 7);
    assert_eq!(
        error("FROM a b\n"),
        (1, 8, "expected AS NAME after the image, found \"b\"".into())
    );
    assert_eq!(
        error("FROM a AS\n").2,
        "FROM needs a stage name after AS: expected FROM IMAGE AS NAME"
    );
    assert_eq!(error("FROM a AS b c\n").1, 13);
    assert_eq!(
        error("FROM a AS 1st\n"),
        (
            1,
            11,
            "invalid stage name \"1st\": expected a letter, then letters, digits, '-', '_' or '.'"
                .into()
        )
    );
    assert_eq!(
        error("FROM a AS b\nFROM c AS B\n"),
        (2, 1, "duplicate build stage name \"b\"".into())
    );
    assert_eq!(
        error("FROM a\nCOPY --chown x y\n").2,
        "flag --chown needs a value: expected --chown=VALUE"
    );
    assert_eq!(error("FROM a\nCOPY --from=a --from=b x y\n").1, 15);
    assert_eq!(
        error("FROM a\nARG a-b\n").2,
        "invalid ARG name \"a-b\": expected letters, digits and _"
    );
}

#[test]
fn an_unterminated_quote_points_at_the_quote_even_on_a_continued_line() {
    assert_eq!(error("FROM a\nENV A=\"x \\\n   y\n").0, 2);
    assert_eq!(
        error("FROM a\nENV A=1 \\\n   B='x\n"),
        (
            3,
            6,
            "unterminated single quote: expected a closing '".into()
        )
    );
}

#[test]
fn expansion_errors_point_into_the_word() {
    let file = parse("FROM a\nWORKDIR /x/${DIR:?set DIR}\n").unwrap();
    let scope = Scope::global(&file, &no_build_args()).unwrap().stage(&[]);
    let err = scope
        .expand_instruction(&file.stages[0].instructions[0].node)
        .unwrap_err();
    assert_eq!(
        (err.pos, err.message.as_str()),
        (Pos::new(2, 12), "DIR: set DIR")
    );
    assert_eq!(err.to_string(), "line 2, column 12: DIR: set DIR");
}
