//! A site read from disk for the tab's own tests and the differential test. The `lunette`
//! binary reads sites with its own reader (links, skipped files, logging); this one takes
//! `lua/`, `viewdefs/` and `html/` as they are.

use std::fs;
use std::path::Path;

use lunette_core::Site;

pub fn read_site(root: &Path) -> Result<Site, String> {
    let mut site = Site::new();
    for folder in ["lua", "viewdefs", "html"] {
        let mut pending = vec![root.join(folder)];
        while let Some(dir) = pending.pop() {
            let Ok(entries) = fs::read_dir(&dir) else {
                continue;
            };
            let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            paths.sort();
            for path in paths {
                if path.is_dir() {
                    pending.push(path);
                    continue;
                }
                let bytes = fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                let relative = path
                    .strip_prefix(root)
                    .map_err(|e| e.to_string())?
                    .to_string_lossy()
                    .replace('\\', "/");
                site.insert(&relative, bytes.into());
            }
        }
    }
    Ok(site)
}
