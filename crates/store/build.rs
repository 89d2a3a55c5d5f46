//! `sqlx::migrate!` embeds the migration files at compile time; this makes cargo rebuild
//! the crate when one of them changes.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
