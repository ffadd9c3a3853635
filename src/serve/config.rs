//! `refrace serve`'s configuration: a redis.conf-style file (`--config FILE`: one `name value`
//! per line, `#` comments, double-quoted values) and `name value` pairs on the command line
//! (`--name value` or `name value`, as `redis-server` takes them), applied in that order.
//!
//! Known names: `port`, `bind` (the first address), `io-threads` (threads including main, as in
//! Redis: `io-threads 4` is main and 3 IO threads), the `lazyfree-lazy-*` knobs, and
//! `cluster-enabled`. Names that configure what the model does not have (persistence, logging,
//! daemonizing, …) are accepted and ignored ([`IGNORED`]); any other name is an error.

use refrace_model::Config;

/// Names accepted for compatibility and ignored: the model has no persistence, no log file,
/// does not daemonize, always allows DEBUG, and has one keyspace (SELECT is an alias).
pub const IGNORED: &[&str] = &[
    "save",
    "appendonly",
    "appendfsync",
    "daemonize",
    "loglevel",
    "logfile",
    "dir",
    "dbfilename",
    "enable-debug-command",
    "protected-mode",
    "databases",
    "io-threads-do-reads",
    "supervised",
    "pidfile",
];

/// The settings of one server.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Address to listen on.
    pub bind: String,
    /// Port (0: any free port).
    pub port: u16,
    /// The model's configuration.
    pub cfg: Config,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            bind: "127.0.0.1".into(),
            port: 6379,
            cfg: Config::default(),
        }
    }
}

fn yes_no(name: &str, v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err(format!(
            "config '{name}': argument must be 'yes' or 'no', got '{v}'"
        )),
    }
}

impl Settings {
    /// Apply one `name value`.
    pub fn apply(&mut self, name: &str, value: &str) -> Result<(), String> {
        let name = name.trim_start_matches("--").to_ascii_lowercase();
        let c = &mut self.cfg;
        match name.as_str() {
            "port" => {
                self.port = value
                    .parse()
                    .map_err(|_| format!("config 'port': '{value}' is not a port number"))?
            }
            "bind" => {
                self.bind = value
                    .split_whitespace()
                    .next()
                    .ok_or("config 'bind': no address")?
                    .trim_start_matches('-')
                    .to_string()
            }
            "io-threads" => {
                let n: usize = value
                    .parse()
                    .map_err(|_| format!("config 'io-threads': '{value}' is not a number"))?;
                if !(1..=128).contains(&n) {
                    return Err(format!(
                        "config 'io-threads': {n} is out of range (1..128: main and n-1 IO threads)"
                    ));
                }
                c.io_threads_num = n;
            }
            "lazyfree-lazy-server-del" => c.lazyfree_lazy_server_del = yes_no(&name, value)?,
            "lazyfree-lazy-user-del" => c.lazyfree_lazy_user_del = yes_no(&name, value)?,
            "lazyfree-lazy-user-flush" => c.lazyfree_lazy_user_flush = yes_no(&name, value)?,
            "lazyfree-lazy-expire" => c.lazyfree_lazy_expire = yes_no(&name, value)?,
            "lazyfree-lazy-eviction" => c.lazyfree_lazy_eviction = yes_no(&name, value)?,
            "cluster-enabled" => c.cluster_enabled = yes_no(&name, value)?,
            n if IGNORED.contains(&n) => {}
            n => {
                return Err(format!(
                    "unknown config '{n}' (refrace serve knows port, bind, io-threads, \
                     lazyfree-lazy-*, cluster-enabled, and ignores {})",
                    IGNORED.join(", ")
                ))
            }
        }
        Ok(())
    }

    /// Apply a redis.conf-style text (`what` names it in errors).
    pub fn apply_file(&mut self, text: &str, what: &str) -> Result<(), String> {
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (name, value) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            self.apply(name, value)
                .map_err(|e| format!("{what}:{}: {e}", i + 1))?;
        }
        Ok(())
    }

    /// Apply command-line pairs: `--name value` or `name value`.
    pub fn apply_args(&mut self, args: &[String]) -> Result<(), String> {
        let mut it = args.iter();
        while let Some(name) = it.next() {
            let value = it
                .next()
                .ok_or_else(|| format!("config '{name}' has no value"))?;
            self.apply(name, value)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_args_and_errors_are_one_line() {
        let mut s = Settings::default();
        s.apply_file(
            "# c\nport 7000\nio-threads 4\nsave \"\"\nlazyfree-lazy-user-del yes\n",
            "f",
        )
        .unwrap();
        s.apply_args(&["--port".into(), "0".into(), "bind".into(), "::1".into()])
            .unwrap();
        assert_eq!(
            (s.port, s.bind.as_str(), s.cfg.io_threads_num),
            (0, "::1", 4)
        );
        assert!(s.cfg.lazyfree_lazy_user_del);
        let e = s.apply_file("maxmemory 1gb\n", "f").unwrap_err();
        assert!(e.starts_with("f:1: unknown config 'maxmemory'"), "{e}");
        assert!(s.apply_args(&["--port".into()]).is_err());
        assert!(s.apply("io-threads", "0").is_err());
        assert!(s.apply("lazyfree-lazy-expire", "maybe").is_err());
    }
}
