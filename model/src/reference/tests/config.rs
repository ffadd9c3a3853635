//! CONFIG and DEBUG.

use super::*;

#[test]
fn config_get_and_set() {
    let mut r = fresh(&[
        (
            "CONFIG GET io-threads",
            "*2\r\n$10\r\nio-threads\r\n$1\r\n1\r\n",
        ),
        (
            "CONFIG GET IO-THREADS",
            "*2\r\n$10\r\nIO-THREADS\r\n$1\r\n1\r\n",
        ),
        (
            "CONFIG GET ?o-thread*",
            "*2\r\n$10\r\nio-threads\r\n$1\r\n1\r\n",
        ),
        (
            "CONFIG GET maxmemory",
            "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n",
        ),
        ("CONFIG GET nosuchknob", "*0\r\n"),
        (
            "CONFIG GET lazyfree-lazy-user-[df]* io-threads LAZYFREE-LAZY-USER-DEL",
            "*6\r\n$22\r\nlazyfree-lazy-user-del\r\n$2\r\nno\r\n\
             $24\r\nlazyfree-lazy-user-flush\r\n$2\r\nno\r\n\
             $10\r\nio-threads\r\n$1\r\n1\r\n",
        ),
        ("CONFIG SET lazyfree-lazy-user-del YES", "+OK\r\n"),
        (
            "config get lazyfree-lazy-user-del",
            "*2\r\n$22\r\nlazyfree-lazy-user-del\r\n$3\r\nyes\r\n",
        ),
        (
            "CONFIG SET IO-threads 4",
            "-ERR CONFIG SET failed (possibly related to argument 'IO-threads') - \
             can't set immutable config\r\n",
        ),
        (
            "CONFIG SET nope 1 io-threads 4",
            "-ERR Unknown option or number of arguments for CONFIG SET - 'nope'\r\n",
        ),
        (
            "CONFIG SET lazyfree-lazy-expire yes LAZYFREE-LAZY-EXPIRE no",
            "-ERR CONFIG SET failed (possibly related to argument 'LAZYFREE-LAZY-EXPIRE') - \
             duplicate parameter\r\n",
        ),
        (
            "CONFIG SET lazyfree-lazy-user-del no LAZYFREE-lazy-expire maybe",
            "-ERR CONFIG SET failed (possibly related to argument 'lazyfree-lazy-expire') - \
             argument must be 'yes' or 'no'\r\n",
        ),
        ("CONFIG SET lazyfree-lazy-user-del no extra", SYNTAX),
        (
            "CONFIG SET lazyfree-lazy-server-del yes lazyfree-lazy-user-flush yes",
            "+OK\r\n",
        ),
    ]);
    // The failed multi-set above left lazyfree-lazy-user-del at yes.
    script(
        &mut r,
        T0,
        &[(
            "CONFIG GET lazyfree-lazy-*",
            "*10\r\n$22\r\nlazyfree-lazy-eviction\r\n$2\r\nno\r\n\
             $20\r\nlazyfree-lazy-expire\r\n$2\r\nno\r\n\
             $24\r\nlazyfree-lazy-server-del\r\n$3\r\nyes\r\n\
             $22\r\nlazyfree-lazy-user-del\r\n$3\r\nyes\r\n\
             $24\r\nlazyfree-lazy-user-flush\r\n$3\r\nyes\r\n",
        )],
    );
    r.set_io_threads(8);
    script(
        &mut r,
        T0,
        &[(
            "CONFIG GET *threads",
            "*2\r\n$10\r\nio-threads\r\n$1\r\n8\r\n",
        )],
    );
}

#[test]
fn debug_reply_copy_avoidance() {
    fresh(&[
        ("DEBUG REPLY-COPY-AVOIDANCE 0", "+OK\r\n"),
        ("debug reply-copy-avoidance 1", "+OK\r\n"),
        (
            "debug REPLY-COPY-AVOIDANCE",
            "-ERR unknown subcommand or wrong number of arguments for \
             'REPLY-COPY-AVOIDANCE'. Try DEBUG HELP.\r\n",
        ),
        (
            "DEBUG nope 1 2",
            "-ERR unknown subcommand or wrong number of arguments for 'nope'. \
             Try DEBUG HELP.\r\n",
        ),
    ]);
}
