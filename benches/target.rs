//! Where the run's databases are made: SQLite files in a scratch directory
//! removed at the end, or databases of their own on a MongoDB server.

use super::*;

/// Where the run's databases are made.
pub(crate) enum Target {
    Sqlite(Scratch),
    /// `server`: the hosts, for the report (the URL may hold a password).
    Mongo {
        options: Box<ClientOptions>,
        server: String,
    },
}

impl Target {
    pub(crate) async fn create(options: &Options) -> Result<Target, String> {
        match &options.mongodb {
            None => Ok(Target::Sqlite(Scratch::create()?)),
            Some(url) => {
                let options = ClientOptions::parse(url)
                    .await
                    .map_err(|e| format!("--mongodb: not a usable MongoDB URL: {e}"))?;
                let server = options
                    .hosts
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(",");
                Ok(Target::Mongo {
                    options: Box::new(options),
                    server,
                })
            }
        }
    }

    /// A fresh store named after the measurement.
    pub(crate) async fn database(&self, name: &str) -> Result<(SharedStore, Database), String> {
        match self {
            Target::Sqlite(scratch) => {
                let path = scratch.file(&format!("{name}.db"));
                let store = Arc::new(SqliteStore::open(&path)?);
                Ok((store, Database::Sqlite(path.display().to_string())))
            }
            Target::Mongo { options, .. } => {
                let mut options = ClientOptions::clone(options);
                let database = format!("igniflo_bench_{}_{name}", std::process::id());
                options.default_database = Some(database.clone());
                let store = Arc::new(MongoStore::connect_with(options).await?);
                Ok((store, Database::Mongo(database)))
            }
        }
    }
}

/// The temporary directory holding every database of the run; removed when
/// dropped, whether the run succeeded or not.
pub(crate) struct Scratch(PathBuf);

impl Scratch {
    pub(crate) fn create() -> Result<Scratch, String> {
        let dir = std::env::temp_dir().join(format!("igniflo-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        Ok(Scratch(dir))
    }

    pub(crate) fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.0) {
            eprintln!("igniflo-bench: could not remove {}: {e}", self.0.display());
        }
    }
}
