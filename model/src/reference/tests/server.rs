//! Dispatch: PING, ECHO, unknown-command and arity texts.

use super::*;

#[test]
fn ping_and_echo() {
    fresh(&[
        ("PING", "+PONG\r\n"),
        ("ping hello", "$5\r\nhello\r\n"),
        (
            "PING a b",
            "-ERR wrong number of arguments for 'ping' command\r\n",
        ),
        ("ECHO hi", "$2\r\nhi\r\n"),
        (
            "ECHO",
            "-ERR wrong number of arguments for 'echo' command\r\n",
        ),
    ]);
}

#[test]
fn unknown_command_and_arity_texts() {
    fresh(&[
        ("NoSuch", "-ERR unknown command 'NoSuch'\r\n"),
        (
            "nosuch a b",
            "-ERR unknown command 'nosuch', with args beginning with: 'a' 'b' \r\n",
        ),
        (
            "GET",
            "-ERR wrong number of arguments for 'get' command\r\n",
        ),
        (
            "Get a b",
            "-ERR wrong number of arguments for 'get' command\r\n",
        ),
        (
            "CONFIG",
            "-ERR wrong number of arguments for 'config' command\r\n",
        ),
        (
            "config GET",
            "-ERR wrong number of arguments for 'config|get' command\r\n",
        ),
        (
            "CONFIG set x",
            "-ERR wrong number of arguments for 'config|set' command\r\n",
        ),
        (
            "config foo bar",
            "-ERR unknown subcommand 'foo'. Try CONFIG HELP.\r\n",
        ),
        (
            "DEBUG",
            "-ERR wrong number of arguments for 'debug' command\r\n",
        ),
        (
            "MSET a b c",
            "-ERR wrong number of arguments for 'mset' command\r\n",
        ),
        (
            "DBSIZE x",
            "-ERR wrong number of arguments for 'dbsize' command\r\n",
        ),
    ]);
}

#[test]
fn unknown_command_echo_is_truncated_and_sanitized() {
    let mut r = Reference::new(T0);
    let a100 = vec![b'a'; 100];
    let b100 = vec![b'b'; 100];
    let argv = vec![b"x".to_vec(), a100.clone(), b100, b"c".to_vec()];
    let want = [
        &b"-ERR unknown command 'x', with args beginning with: '"[..],
        &a100,
        b"' '",
        &[b'b'; 25],
        b"' \r\n",
    ]
    .concat();
    assert_eq!(r.execute(&argv, T0), want);
    // Name cut at 128 bytes and at NUL; CR/LF become spaces; raw bytes are echoed.
    let argv = vec![vec![b'n'; 200], b"x\r\ny\0z".to_vec(), vec![0xff]];
    let want = [
        &b"-ERR unknown command '"[..],
        &[b'n'; 128],
        b"', with args beginning with: 'x  y' '\xff' \r\n",
    ]
    .concat();
    assert_eq!(r.execute(&argv, T0), want);
    assert_eq!(r.execute(&[], T0), b"");
    assert_eq!(r.execute(&args("HOST: x"), T0), b"");
    assert_eq!(r.execute(&args("post"), T0), b"");
}
