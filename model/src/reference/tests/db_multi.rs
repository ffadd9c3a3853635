//! Databases, transactions and hashes: steps and replies recorded from redis-server 7.0.15
//! (TTLs at the reference's frozen clock).

use super::*;

#[test]
fn select_swapdb_move_copy_flush() {
    fresh(&[
        ("SET a 1", "+OK\r\n"),
        ("SELECT 1", "+OK\r\n"),
        ("GET a", "$-1\r\n"),
        ("SET a 2", "+OK\r\n"),
        ("SELECT 16", "-ERR DB index is out of range\r\n"),
        (
            "SELECT x",
            "-ERR value is not an integer or out of range\r\n",
        ),
        (
            "SELECT 99999999999",
            "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n",
        ),
        ("SWAPDB 0 1", "+OK\r\n"),
        ("GET a", "$1\r\n1\r\n"),
        ("SELECT 0", "+OK\r\n"),
        ("GET a", "$1\r\n2\r\n"),
        ("SWAPDB 0 x", "-ERR invalid second DB index\r\n"),
        ("SWAPDB x 0", "-ERR invalid first DB index\r\n"),
        ("SWAPDB 0 99999999999", "-ERR invalid second DB index\r\n"),
        ("SWAPDB 0 16", "-ERR DB index is out of range\r\n"),
        (
            "MOVE a 0",
            "-ERR source and destination objects are the same\r\n",
        ),
        ("MOVE a 1", ":0\r\n"),
        ("MOVE a 1", ":0\r\n"),
        (
            "MOVE a x",
            "-ERR value is not an integer or out of range\r\n",
        ),
        ("MOVE a 16", "-ERR DB index is out of range\r\n"),
        ("SELECT 1", "+OK\r\n"),
        ("GET a", "$1\r\n1\r\n"),
        ("EXPIRE a 100", ":1\r\n"),
        ("COPY a b", ":1\r\n"),
        ("COPY a b", ":0\r\n"),
        ("COPY a b REPLACE", ":1\r\n"),
        (
            "COPY a a",
            "-ERR source and destination objects are the same\r\n",
        ),
        ("COPY a a DB 2", ":1\r\n"),
        ("COPY a b DB", "-ERR syntax error\r\n"),
        ("COPY a b DB 16", "-ERR DB index is out of range\r\n"),
        ("COPY a b BOGUS", "-ERR syntax error\r\n"),
        ("TTL b", ":100\r\n"),
        ("COPY a b DB 2 REPLACE REPLACE", ":1\r\n"),
        ("SELECT 2", "+OK\r\n"),
        ("TTL b", ":100\r\n"),
        ("FLUSHDB", "+OK\r\n"),
        ("GET b", "$-1\r\n"),
        ("SELECT 1", "+OK\r\n"),
        ("GET a", "$1\r\n1\r\n"),
        ("FLUSHALL", "+OK\r\n"),
        ("GET a", "$-1\r\n"),
    ]);
}

#[test]
fn multi_exec_discard_and_hashes() {
    fresh(&[
        ("MULTI", "+OK\r\n"),
        ("MULTI", "-ERR MULTI calls can not be nested\r\n"),
        ("SET k v", "+QUEUED\r\n"),
        ("EXEC", "*1\r\n+OK\r\n"),
        ("MULTI", "+OK\r\n"),
        ("SET k", "-ERR wrong number of arguments for 'set' command\r\n"),
        ("GET k", "+QUEUED\r\n"),
        ("EXEC", "-EXECABORT Transaction discarded because of previous errors.\r\n"),
        ("MULTI", "+OK\r\n"),
        ("NOSUCH a", "-ERR unknown command 'NOSUCH', with args beginning with: 'a' \r\n"),
        ("EXEC", "-EXECABORT Transaction discarded because of previous errors.\r\n"),
        ("EXEC", "-ERR EXEC without MULTI\r\n"),
        ("DISCARD", "-ERR DISCARD without MULTI\r\n"),
        ("MULTI", "+OK\r\n"),
        ("DISCARD", "+OK\r\n"),
        ("MULTI x", "-ERR wrong number of arguments for 'multi' command\r\n"),
        ("EXEC x", "-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n"),
        ("MULTI", "+OK\r\n"),
        ("SELECT 1", "+QUEUED\r\n"),
        ("SET k 1", "+QUEUED\r\n"),
        ("EXEC", "*2\r\n+OK\r\n+OK\r\n"),
        ("GET k", "$1\r\n1\r\n"),
        ("SELECT 0", "+OK\r\n"),
        ("GET k", "$1\r\nv\r\n"),
        ("MULTI", "+OK\r\n"),
        ("SET k v", "+QUEUED\r\n"),
        ("FLUSHALL ASYNC", "+QUEUED\r\n"),
        ("GET k", "+QUEUED\r\n"),
        ("EXEC", "*3\r\n+OK\r\n+OK\r\n$-1\r\n"),
        ("MULTI", "+OK\r\n"),
        ("INCR k", "+QUEUED\r\n"),
        ("LPUSH k x", "+QUEUED\r\n"),
        ("GET k", "+QUEUED\r\n"),
        ("EXEC", "*3\r\n:1\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n$1\r\n1\r\n"),
        ("MULTI", "+OK\r\n"),
        ("EXEC", "*0\r\n"),
        ("MULTI", "+OK\r\n"),
        ("CONFIG GET lazyfree-lazy-user-del", "+QUEUED\r\n"),
        ("CONFIG NOSUB", "-ERR unknown subcommand 'NOSUB'. Try CONFIG HELP.\r\n"),
        ("EXEC", "-EXECABORT Transaction discarded because of previous errors.\r\n"),
        ("MULTI", "+OK\r\n"),
        ("SET a 1", "+QUEUED\r\n"),
        ("EXEC x", "-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n"),
        ("GET a", "$-1\r\n"),
        ("HSET h a 1 b 2", ":2\r\n"),
        ("HSET h a 3", ":0\r\n"),
        ("HSET h x", "-ERR wrong number of arguments for 'hset' command\r\n"),
        ("HGET h a", "$1\r\n3\r\n"),
        ("HGET h z", "$-1\r\n"),
        ("HGET nokey a", "$-1\r\n"),
        ("HLEN h", ":2\r\n"),
        ("HGETALL h", "*4\r\n$1\r\na\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n2\r\n"),
        ("HDEL h a zz", ":1\r\n"),
        ("HDEL h b", ":1\r\n"),
        ("EXISTS h", ":0\r\n"),
        ("HSET s", "-ERR wrong number of arguments for 'hset' command\r\n"),
        ("SET s v", "+OK\r\n"),
        ("HSET s a b", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        ("HGET s a", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        ("HDEL s a", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        ("HLEN s", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        ("HGETALL s", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        ("HGETALL nokey", "*0\r\n"),
        ("HDEL nokey a", ":0\r\n"),
        ("HSET h2 f v", ":1\r\n"),
        ("COPY h2 h3", ":1\r\n"),
        ("HGETALL h3", "*2\r\n$1\r\nf\r\n$1\r\nv\r\n"),
        ("MOVE h3 5", ":1\r\n"),
        ("HLEN h3", ":0\r\n"),
    ]);
}

#[test]
fn each_connection_has_its_database_and_transaction() {
    let mut r = Reference::new(T0);
    let mut on = |conn: u64, cmd: &str, want: &str| {
        let got = r.execute_as(conn, &args(cmd), T0);
        assert_eq!(String::from_utf8_lossy(&got), want, "c{conn}: {cmd}");
    };
    on(1, "SELECT 3", "+OK\r\n");
    on(1, "SET k one", "+OK\r\n");
    on(2, "GET k", "$-1\r\n");
    on(2, "MULTI", "+OK\r\n");
    on(2, "SET k two", "+QUEUED\r\n");
    on(1, "GET k", "$3\r\none\r\n");
    on(1, "EXEC", "-ERR EXEC without MULTI\r\n");
    on(2, "SWAPDB 0 3", "+QUEUED\r\n");
    on(2, "EXEC", "*2\r\n+OK\r\n+OK\r\n");
    on(1, "GET k", "$3\r\ntwo\r\n");
    on(2, "GET k", "$3\r\none\r\n");
}
