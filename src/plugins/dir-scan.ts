/**
 * What the job-type directories hold (SPEC §11 (a)): module files
 * (`.mjs`, `.js`) and executable files, each with its sha256. Reads a file
 * again only when its size or mtime changed since the last scan.
 */
import { constants } from 'node:fs';
import { access, readFile, readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { sha256Of } from '../shared/sha256.js';

export interface TypeFile {
  path: string;
  kind: 'module' | 'executable';
  sha256: string;
}

const MODULE_EXT = new Set(['.mjs', '.js']);

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export class DirScan {
  private readonly seen = new Map<string, { key: string; file: TypeFile | null }>();

  constructor(private readonly dirs: readonly string[]) {}

  /** Every type file of the directories now (a missing directory holds none). */
  async files(): Promise<TypeFile[]> {
    const out: TypeFile[] = [];
    const present = new Set<string>();
    for (const dir of this.dirs) {
      const names = await readdir(dir).catch(() => [] as string[]);
      for (const name of names.sort()) {
        // dotfiles are editors' swap files; package.json and node_modules sit beside modules
        if (name.startsWith('.') || name === 'node_modules' || name.endsWith('.json')) continue;
        const path = join(dir, name);
        present.add(path);
        const file = await this.look(path);
        if (file) out.push(file);
      }
    }
    for (const path of this.seen.keys()) if (!present.has(path)) this.seen.delete(path);
    return out;
  }

  private async look(path: string): Promise<TypeFile | null> {
    const st = await stat(path).catch(() => null);
    if (!st?.isFile()) return null;
    const key = `${st.size}:${st.mtimeMs}:${st.mode}`;
    const known = this.seen.get(path);
    if (known?.key === key) return known.file;
    let file: TypeFile | null = null;
    const kind = MODULE_EXT.has(extname(path))
      ? 'module'
      : (await isExecutable(path))
        ? 'executable'
        : null;
    if (kind) {
      const data = await readFile(path).catch(() => null);
      if (data) file = { path, kind, sha256: sha256Of(data) };
    }
    this.seen.set(path, { key, file });
    return file;
  }
}
