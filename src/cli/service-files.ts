/**
 * The files `jobtree service install` writes (SPEC §16), as text: the
 * systemd unit, its environment file, a first config file and a commented
 * example of every key. Pure: paths and grace times are parameters, so the
 * dry run, the install and the tests all see the same bytes.
 */
export interface ServiceOptions {
  user: string;
  configDir: string;
  dataDir: string;
  /** The node binary and the jobtree entry script the unit runs. */
  node: string;
  bin: string;
  /** shutdown.graceMs and shell.killGraceMs of the config the agent will read. */
  graceMs: number;
  killGraceMs: number;
}

export interface ServiceFile {
  path: string;
  content: string;
  /** An operator's file once written: install never overwrites it. */
  keep: boolean;
}

/** Seconds systemd waits for a stop: the agent's own grace times and then some. */
export function stopTimeoutS(o: Pick<ServiceOptions, 'graceMs' | 'killGraceMs'>): number {
  return Math.ceil((o.graceMs + o.killGraceMs) / 1000) + 15;
}

export function unitFile(o: ServiceOptions): string {
  return `# jobtree agent, written by \`jobtree service install\` (SPEC §16).
# KillMode=process: systemd signals only the agent, which decides itself
# what becomes of its jobs' processes: with shutdown.mode "detach" (set in
# 10-node.json) their supervisors run on, and the agent started next
# re-attaches to them; "jobtree drain" first empties the node instead.
[Unit]
Description=jobtree agent: runs this node's share of the cluster's job trees
Documentation=https://www.npmjs.com/package/jobtree
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=${o.user}
Group=${o.user}
EnvironmentFile=-${o.configDir}/jobtree.env
WorkingDirectory=${o.dataDir}
ExecStart=${o.node} --v8-pool-size=1 ${o.bin} agent --config ${o.configDir}
ExecReload=/bin/kill -HUP $MAINPID
KillMode=process
KillSignal=SIGTERM
TimeoutStopSec=${stopTimeoutS(o)}
Restart=on-failure
RestartSec=2
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
`;
}

export function envFile(): string {
  return `# Environment of the jobtree agent (read by systemd; JOBTREE_* over the config dir).
# Keep secrets here, readable by root and the service user only:
# JOBTREE_TOKEN=change-me-to-at-least-16-characters
# JOBTREE_READ_TOKEN=another-one-for-read-only-access
`;
}

export function nodeConfig(o: Pick<ServiceOptions, 'dataDir' | 'configDir'>): string {
  // detach: `systemctl restart` (an upgrade) leaves running shell jobs to the next agent (SPEC §16)
  const config = {
    dataDir: o.dataDir,
    shutdown: { mode: 'detach' },
    definitions: { dirs: [`${o.configDir}/definitions.d`] },
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

export function exampleConfig(): string {
  return `Every *.json file of this directory is read in name order, later files over
earlier ones, then JOBTREE_* from jobtree.env, then flags. A bad value stops
the agent at start naming the file and the key. An example, say
10-cluster.json, shared by every node:

{
  "redis": { "url": "redis://redis.internal:6379" },
  "host": "0.0.0.0",
  "url": "http://this-node.internal:7070",
  "heartbeat": { "intervalMs": 2000, "ttlMs": 10000 },
  "shutdown": { "graceMs": 10000 },
  "jobTypes": { "dirs": ["/etc/jobtree/job-types"] }
}

and 20-node.json, this node's own: { "node": "web-1", "concurrency": 8 }.
A non-loopback "host" needs auth.token (JOBTREE_TOKEN in jobtree.env).
Every key and its default: config/default.json in the jobtree package.
`;
}

/** Every file of an install, in the order they are written. */
export function serviceFiles(o: ServiceOptions, unitDir = '/etc/systemd/system'): ServiceFile[] {
  return [
    { path: `${unitDir}/jobtree.service`, content: unitFile(o), keep: false },
    { path: `${o.configDir}/jobtree.env`, content: envFile(), keep: true },
    { path: `${o.configDir}/10-node.json`, content: nodeConfig(o), keep: true },
    { path: `${o.configDir}/README`, content: exampleConfig(), keep: false },
  ];
}
