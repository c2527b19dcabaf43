/**
 * `jobtree service install|uninstall|status` (SPEC §16): the agent as a
 * systemd service. Install writes the unit, the environment file and a
 * config directory, creates the user and the data dir, and prints the
 * commands that start it; it is idempotent and never overwrites an
 * operator's edited file. `--dry-run` prints every file instead
 * (`# <path>`, then its content); `--root DIR` writes under DIR (packaging,
 * tests). Uninstall removes what install wrote, never the data.
 */
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../config/load.js';
import { CliError, EXIT } from '../client.js';
import { serviceFiles, type ServiceOptions } from '../service-files.js';
import type { Print } from './trees.js';

export interface ServiceFlags {
  user?: string;
  configDir?: string;
  dataDir?: string;
  dryRun?: boolean;
  root?: string;
}

/** bin/jobtree.js of this installation: a checkout or a global npm install alike. */
const BIN = fileURLToPath(new URL('../../../bin/jobtree.js', import.meta.url));

function optionsOf(flags: ServiceFlags): ServiceOptions {
  const configDir = resolve(flags.configDir ?? '/etc/jobtree');
  const dataDir = resolve(flags.dataDir ?? '/var/lib/jobtree');
  // the grace times of the config the agent will read, when it exists already
  const where = join(flags.root ?? '/', configDir);
  const config = loadConfig({ ...(existsSync(where) ? { file: where } : {}), env: {} });
  return {
    user: flags.user ?? 'jobtree',
    configDir,
    dataDir,
    node: process.execPath,
    bin: BIN,
    graceMs: config.shutdown.graceMs,
    killGraceMs: config.shell.killGraceMs,
  };
}

function needRoot(flags: ServiceFlags, verb: string): void {
  if (flags.dryRun || flags.root !== undefined || process.getuid?.() === 0) return;
  throw new CliError(
    `service ${verb} writes to /etc and creates a user: run it as root (sudo npx jobtree service ${verb}), or add --dry-run to see the files`,
    EXIT.USAGE,
  );
}

function ensureUser(user: string, dataDir: string, print: Print): void {
  if (spawnSync('id', ['-u', user]).status === 0) return;
  const made = spawnSync(
    'useradd',
    ['--system', '--home-dir', dataDir, '--no-create-home', '--shell', '/usr/sbin/nologin', user],
    { encoding: 'utf8' },
  );
  if (made.status !== 0) throw new CliError(`cannot create user ${user}: ${made.stderr.trim()}`, 1);
  print(`created user ${user}`);
}

export function install(flags: ServiceFlags, print: Print): number {
  needRoot(flags, 'install');
  const o = optionsOf(flags);
  const files = serviceFiles(o);
  if (flags.dryRun) {
    for (const f of files) print(`# ${f.path}\n${f.content}`);
    return EXIT.OK;
  }
  const root = flags.root ?? '/';
  const real = flags.root === undefined;
  if (real) ensureUser(o.user, o.dataDir, print);
  for (const dir of [o.dataDir, join(o.configDir, 'definitions.d')]) {
    mkdirSync(join(root, dir), { recursive: true });
  }
  if (real) {
    const uid = Number(spawnSync('id', ['-u', o.user], { encoding: 'utf8' }).stdout);
    const gid = Number(spawnSync('id', ['-g', o.user], { encoding: 'utf8' }).stdout);
    chownSync(o.dataDir, uid, gid);
  }
  for (const f of files) {
    const path = join(root, f.path);
    if (f.keep && existsSync(path)) {
      print(`kept ${f.path} (yours)`);
      continue;
    }
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, f.content, { mode: f.path.endsWith('.env') ? 0o600 : 0o644 });
    print(`wrote ${f.path}`);
  }
  print('\nthen: systemctl daemon-reload && systemctl enable --now jobtree');
  print('      journalctl -u jobtree -f     # its log');
  return EXIT.OK;
}

export function uninstall(flags: ServiceFlags, print: Print): number {
  needRoot(flags, 'uninstall');
  const o = optionsOf(flags);
  const root = flags.root ?? '/';
  for (const f of serviceFiles(o)) {
    const path = join(root, f.path);
    if (!existsSync(path)) continue;
    // an operator's edits stay: only a file still as install wrote it goes
    if (f.keep && readFileSync(path, 'utf8') !== f.content) {
      print(`kept ${f.path} (edited)`);
      continue;
    }
    if (flags.dryRun) print(`would remove ${f.path}`);
    else {
      rmSync(path);
      print(`removed ${f.path}`);
    }
  }
  print(`kept ${o.dataDir} (the data)`);
  if (flags.root === undefined) print('then: systemctl daemon-reload');
  return EXIT.OK;
}

export function status(flags: ServiceFlags, print: Print): number {
  const o = optionsOf(flags);
  const unit = serviceFiles(o)[0]!;
  const installed = existsSync(join(flags.root ?? '/', unit.path));
  print(`unit ${unit.path}: ${installed ? 'installed' : 'not installed'}`);
  const systemctl = spawnSync('systemctl', ['is-active', 'jobtree'], { encoding: 'utf8' });
  if (systemctl.error) print('systemctl: not found on this machine');
  else print(`service: ${(systemctl.stdout || systemctl.stderr).trim() || 'unknown'}`);
  return installed ? EXIT.OK : EXIT.NOT_FOUND;
}
