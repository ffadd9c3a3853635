//! Lists.

use super::*;

#[test]
fn list_commands() {
    fresh(&[
        ("LPUSH l a b c", ":3\r\n"),
        ("RPUSH l d", ":4\r\n"),
        (
            "LRANGE l 0 -1",
            "*4\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nd\r\n",
        ),
        ("LRANGE l -100 1", "*2\r\n$1\r\nc\r\n$1\r\nb\r\n"),
        ("LRANGE l 2 100", "*2\r\n$1\r\na\r\n$1\r\nd\r\n"),
        ("LRANGE l 3 1", "*0\r\n"),
        ("LRANGE l 4 9", "*0\r\n"),
        ("LRANGE l -9223372036854775808 -5", "*0\r\n"),
        ("LRANGE l x 1", NOT_INT),
        ("LRANGE l 0 y", NOT_INT),
        ("LRANGE nope 0 -1", "*0\r\n"),
        ("LLEN l", ":4\r\n"),
        ("LLEN nope", ":0\r\n"),
        ("LPOP l", "$1\r\nc\r\n"),
        ("RPOP l", "$1\r\nd\r\n"),
        ("LPOP l 0", "*0\r\n"),
        (
            "LPOP l -1",
            "-ERR value is out of range, must be positive\r\n",
        ),
        (
            "LPOP l x",
            "-ERR value is out of range, must be positive\r\n",
        ),
        (
            "LPOP l 1 2",
            "-ERR wrong number of arguments for 'lpop' command\r\n",
        ),
        (
            "RPOP l 1 2",
            "-ERR wrong number of arguments for 'rpop' command\r\n",
        ),
        ("RPUSH l x y", ":4\r\n"),
        ("RPOP l 3", "*3\r\n$1\r\ny\r\n$1\r\nx\r\n$1\r\na\r\n"),
        ("LPOP l 9", "*1\r\n$1\r\nb\r\n"),
        ("EXISTS l", ":0\r\n"),
        ("LPOP l", "$-1\r\n"),
        ("LPOP l 1", "*-1\r\n"),
        ("RPOP l 0", "*-1\r\n"),
        ("SET s v", "+OK\r\n"),
        ("LPUSH s a", WRONGTYPE),
        ("RPUSH s a", WRONGTYPE),
        ("LPOP s", WRONGTYPE),
        ("LLEN s", WRONGTYPE),
        ("LRANGE s 0 1", WRONGTYPE),
        (
            "LPUSH",
            "-ERR wrong number of arguments for 'lpush' command\r\n",
        ),
        (
            "LPUSH l",
            "-ERR wrong number of arguments for 'lpush' command\r\n",
        ),
    ]);
}

#[test]
fn list_ttl_survives_push_and_expires() {
    let mut r = fresh(&[("RPUSH l a", ":1\r\n"), ("PEXPIRE l 100", ":1\r\n")]);
    script(
        &mut r,
        T0 + 50,
        &[("RPUSH l b", ":2\r\n"), ("PTTL l", ":50\r\n")],
    );
    script(
        &mut r,
        T0 + 101,
        &[
            ("LLEN l", ":0\r\n"),
            ("RPUSH l c", ":1\r\n"),
            ("TTL l", ":-1\r\n"),
        ],
    );
}
