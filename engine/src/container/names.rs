//! Container names: the rule Docker enforces, and the `adjective_scientist` names it makes up when
//! `--name` is not given.

use crate::{Error, Result};

/// Checks a user-given name against Docker's rule `[a-zA-Z0-9][a-zA-Z0-9_.-]+` and returns it
/// without the leading `/` Docker tolerates (its API stores names as `/web`).
pub fn validate(name: &str) -> Result<String> {
    let bare = name.strip_prefix('/').unwrap_or(name);
    let mut bytes = bare.bytes();
    let first_ok = bytes.next().is_some_and(|b| b.is_ascii_alphanumeric());
    let rest_ok = bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if bare.len() < 2 || !first_ok || !rest_ok {
        return Err(Error::InvalidArgument(format!(
            "Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
        )));
    }
    Ok(bare.to_string())
}

const ADJECTIVES: &[&str] = &[
    "admiring",
    "agitated",
    "amazing",
    "angry",
    "awesome",
    "blissful",
    "bold",
    "boring",
    "brave",
    "busy",
    "charming",
    "clever",
    "compassionate",
    "confident",
    "cool",
    "cranky",
    "crazy",
    "dazzling",
    "determined",
    "distracted",
    "dreamy",
    "eager",
    "ecstatic",
    "elastic",
    "elated",
    "elegant",
    "epic",
    "exciting",
    "festive",
    "focused",
    "friendly",
    "frosty",
    "funny",
    "gallant",
    "gifted",
    "goofy",
    "gracious",
    "happy",
    "hardcore",
    "heuristic",
    "hopeful",
    "hungry",
    "infallible",
    "inspiring",
    "jolly",
    "jovial",
    "keen",
    "kind",
    "laughing",
    "loving",
    "lucid",
    "magical",
    "modest",
    "musing",
    "mystifying",
    "naughty",
    "nervous",
    "nice",
    "nifty",
    "nostalgic",
    "objective",
    "optimistic",
    "peaceful",
    "pedantic",
    "pensive",
    "practical",
    "priceless",
    "quirky",
    "quizzical",
    "relaxed",
    "reverent",
    "romantic",
    "sad",
    "serene",
    "sharp",
    "silly",
    "sleepy",
    "stoic",
    "strange",
    "stupefied",
    "suspicious",
    "sweet",
    "tender",
    "thirsty",
    "trusting",
    "upbeat",
    "vibrant",
    "vigilant",
    "vigorous",
    "wizardly",
    "wonderful",
    "xenodochial",
    "youthful",
    "zealous",
    "zen",
];

const SURNAMES: &[&str] = &[
    "albattani",
    "allen",
    "archimedes",
    "babbage",
    "bardeen",
    "bartik",
    "bell",
    "bohr",
    "borg",
    "bose",
    "brattain",
    "cannon",
    "carson",
    "cerf",
    "chandrasekhar",
    "curie",
    "darwin",
    "dijkstra",
    "driscoll",
    "einstein",
    "elion",
    "engelbart",
    "euclid",
    "euler",
    "fermat",
    "fermi",
    "feynman",
    "franklin",
    "galileo",
    "gauss",
    "goldberg",
    "goodall",
    "hamilton",
    "hawking",
    "heisenberg",
    "hodgkin",
    "hopper",
    "hypatia",
    "jackson",
    "jennings",
    "johnson",
    "kalam",
    "kepler",
    "khorana",
    "knuth",
    "lamarr",
    "lamport",
    "leakey",
    "lovelace",
    "lumiere",
    "mayer",
    "mccarthy",
    "mcclintock",
    "meitner",
    "mendel",
    "mirzakhani",
    "montalcini",
    "moore",
    "morse",
    "newton",
    "nobel",
    "noether",
    "pasteur",
    "payne",
    "perlman",
    "pike",
    "poincare",
    "ptolemy",
    "raman",
    "ride",
    "ritchie",
    "rosalind",
    "sammet",
    "shannon",
    "shaw",
    "sinoussi",
    "stallman",
    "swartz",
    "tesla",
    "thompson",
    "torvalds",
    "turing",
    "varahamihira",
    "villani",
    "wescoff",
    "wilbur",
    "wiles",
    "williams",
    "wing",
    "wozniak",
    "wright",
    "yalow",
    "yonath",
];

// ANCHOR: generate_name
/// A random `adjective_surname`, as Docker makes them; on `attempt` > 0 a digit is appended, so
/// retries after collisions draw from a larger space. `random` supplies the randomness.
pub fn generate(random: u64, attempt: u32) -> String {
    let adjective = ADJECTIVES[(random % ADJECTIVES.len() as u64) as usize];
    let surname = SURNAMES[((random >> 32) % SURNAMES.len() as u64) as usize];
    // Docker never says a Wozniak is boring.
    if adjective == "boring" && surname == "wozniak" {
        return generate(random.rotate_left(7) ^ 1, attempt);
    }
    if attempt == 0 {
        format!("{adjective}_{surname}")
    } else {
        format!("{adjective}_{surname}{}", (random >> 16) % 10)
    }
}
// ANCHOR_END: generate_name

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockers_name_rule_is_enforced() {
        assert_eq!(validate("web").unwrap(), "web");
        assert_eq!(validate("/web-1.a_b").unwrap(), "web-1.a_b");
        for bad in ["", "a", "-web", "_web", "we b", "web/1", "wéb", "/"] {
            let err = validate(bad).unwrap_err().to_string();
            assert!(err.contains("Invalid container name"), "{bad}: {err}");
        }
    }

    #[test]
    fn generated_names_are_valid_and_never_boring_wozniak() {
        for seed in 0..5000u64 {
            let random = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            for attempt in [0, 3] {
                let name = generate(random, attempt);
                assert!(validate(&name).is_ok(), "{name}");
                assert!(!name.starts_with("boring_wozniak"), "{name}");
            }
        }
        let wozniak = (SURNAMES.iter().position(|s| *s == "wozniak").unwrap() as u64) << 32;
        let boring = ADJECTIVES.iter().position(|a| *a == "boring").unwrap() as u64;
        assert_ne!(generate(wozniak | boring, 0), "boring_wozniak");
    }
}
