//! Writes the committed seed corpus: `fuzz/seeds/<target>/<name>` for every seed of
//! `refrace_sims::fuzz::seeds` (run from anywhere; paths are relative to the workspace).

fn main() -> std::io::Result<()> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .join("fuzz/seeds");
    for s in refrace_sims::fuzz::seeds::seeds() {
        let dir = root.join(s.target);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(s.name), &s.bytes)?;
        println!("{}/{} ({} bytes)", s.target, s.name, s.bytes.len());
    }
    Ok(())
}
