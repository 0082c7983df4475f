/**
 * Jupyter's data directories, computed the way jupyter_core does, without Python:
 * JUPYTER_DATA_DIR / the per-user dir, JUPYTER_PATH entries, sys-prefix and system dirs.
 */
import { homedir, platform } from "node:os";
import { delimiter, join } from "node:path";

export function userDataDir(): string {
  if (process.env.JUPYTER_DATA_DIR) return process.env.JUPYTER_DATA_DIR;
  const home = homedir();
  if (platform() === "darwin") return join(home, "Library", "Jupyter");
  if (platform() === "win32") return join(process.env.APPDATA ?? join(home, "AppData", "Roaming"), "jupyter");
  return join(process.env.XDG_DATA_HOME ?? join(home, ".local", "share"), "jupyter");
}

/** The active Python environment's prefix (what `--sys-prefix` means to Jupyter). */
export function sysPrefix(): string | undefined {
  return process.env.VIRTUAL_ENV ?? process.env.CONDA_PREFIX;
}

export function systemDataDirs(): string[] {
  if (platform() === "win32") return [join(process.env.PROGRAMDATA ?? "C:\\ProgramData", "jupyter")];
  return ["/usr/local/share/jupyter", "/usr/share/jupyter"];
}

/** Search order of `jupyter kernelspec list`: JUPYTER_PATH, user, sys-prefix, system. */
export function jupyterPath(): string[] {
  const fromEnv = (process.env.JUPYTER_PATH ?? "").split(delimiter).filter(Boolean);
  const prefix = sysPrefix();
  return [...fromEnv, userDataDir(), ...(prefix ? [join(prefix, "share", "jupyter")] : []), ...systemDataDirs()];
}
