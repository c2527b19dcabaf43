/**
 * The `jobtree` command line (SPEC §8): parses argv with commander and
 * dispatches to one file per command. The only place that prints to the
 * console and chooses the process exit code.
 */
import { Command, CommanderError } from 'commander';
import { JobtreeError } from '../shared/errors.js';
import { ApiClient, CliError, EXIT } from './client.js';
import { runAgent, type AgentFlags } from './commands/agent.js';
import { logs, searchLogs } from './commands/logs.js';
import { tail } from './commands/tail.js';
import { abort, list, nodes, setDrain, setPaused, show, submit } from './commands/trees.js';
import { listPools, removePool, setPool } from './commands/pools.js';
import { addType, listTypes, removeType } from './commands/types.js';
import { install, status, uninstall, type ServiceFlags } from './commands/service.js';
import {
  applyDefinitions,
  definitionVersions,
  exportDefinition,
  listDefinitions,
  parseParam,
  removeDefinition,
  runDefinition,
  showDefinition,
} from './commands/definitions.js';

const print = (text: string): void => {
  process.stdout.write(`${text}\n`);
};

/** Where --follow draws: redrawn in place on a terminal, plain lines when piped. */
const screen = {
  isTTY: process.stdout.isTTY === true,
  raw: false,
  write: (text: string): void => {
    process.stdout.write(text);
  },
};

function checkNode(): void {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    throw new CliError(
      `jobtree needs Node.js 20.19 or newer (this is ${process.versions.node})`,
      EXIT.USAGE,
    );
  }
}

function buildProgram(env: NodeJS.ProcessEnv, setCode: (code: number) => void): Command {
  const program = new Command('jobtree')
    .description('Job-tree orchestration across nodes, on Redis')
    .option('--server <url>', 'agent API to talk to', env.JOBTREE_SERVER ?? 'http://127.0.0.1:7070')
    .option('--token <token>', 'cluster token (default: $JOBTREE_TOKEN)')
    .option('--raw', "print jobs' output as it is, terminal control sequences and all")
    .exitOverride()
    .showHelpAfterError();
  const client = (): ApiClient => {
    const o = program.opts<{ server: string; token?: string; raw?: boolean }>();
    screen.raw = o.raw === true; // SPEC §18: job output shows its control characters unless --raw
    return new ApiClient({ server: o.server, token: o.token ?? env.JOBTREE_TOKEN });
  };
  const run = (fn: () => Promise<number>) => async (): Promise<void> => setCode(await fn());
  /** A repeatable option's values. */
  const collect = (v: string, all: string[] = []) => [...all, v];

  program
    .command('agent')
    .description('run the node agent in the foreground')
    .option('--config <file>', 'JSON config file')
    .option('--node <name>', 'node name (default: host name)')
    .option('--host <host>', 'address to listen on')
    .option('--port <port>', 'port for the API and socket.io')
    .option('--redis <url>', 'Redis URL (default: 127.0.0.1:6379, else an embedded redis-server)')
    .option('--data-dir <dir>', 'where job logs and local state live')
    .option('--concurrency <n>', 'jobs run at once (default: CPUs)')
    .action(async (flags: AgentFlags) => setCode(await runAgent(flags, env)));
  program
    .command('submit <file>')
    .description('submit a tree from a JSON file (- for stdin)')
    .option('--wait', 'wait for the tree to finish; exit 1 if it failed')
    .option('--follow', 'show the tree live with the logs of its jobs; exit 1 if it failed')
    .option('--timeout <s>', 'with --wait: give up waiting after S seconds', '3600')
    .option('--json', 'print JSON')
    .action((file: string, o) => run(() => submit(client(), file, o, print, screen))());
  program
    .command('ls')
    .description('list trees, newest first')
    .option('--tag <k=v>', 'only trees with this tag (repeatable)', collect, [])
    .option('--state <state>', 'RUNNING, SUCCESS, FAILED or ABORTED')
    .option('--limit <n>', 'at most N trees', '50')
    .option('--cursor <c>', 'the page after the one that printed this cursor')
    .option('--json', 'print JSON')
    .action((o) => run(() => list(client(), o, print))());
  program
    .command('show <root>')
    .description('show a tree with the state of every job')
    .option('--json', 'print JSON')
    .option('--follow', 'show it live with the logs of its jobs until it ends')
    .option('--all', 'list every job of a big tree instead of folding its subtrees')
    .action((root: string, o) => run(() => show(client(), root, o, print, screen))());
  program
    .command('abort <id>')
    .description('abort a job and with it its whole tree')
    .option('--no-handlers', "do not run the tree's compensations and onFailure job")
    .action((id: string, o: { handlers: boolean }) =>
      run(() => abort(client(), id, { handlers: o.handlers }, print))(),
    );
  program
    .command('pause <id>')
    .description('pause the tree of a job: running jobs go on, no other job starts')
    .action((id: string) => run(() => setPaused(client(), id, true, print))());
  program
    .command('resume <id>')
    .description('resume a paused tree')
    .action((id: string) => run(() => setPaused(client(), id, false, print))());
  program
    .command('tail <job>')
    .description("print a job's log, from any node")
    .option('-f, --follow', 'follow the log live until the job is over')
    .option('--offset <n>', 'start at byte N; negative: the last N bytes, from a line start', '0')
    .action((id: string, o) =>
      run(() =>
        tail(client(), id, { ...o, raw: program.opts().raw === true }, (t) =>
          process.stdout.write(t),
        ),
      )(),
    );
  const logsOut = {
    print,
    warn: (t: string) => process.stderr.write(`jobtree: ${t}\n`),
    isTTY: process.stdout.isTTY === true,
  };
  /** The trees a logs command reads, and the sources it keeps. */
  const logScope = (c: Command): Command =>
    c
      .option('--tag <key=value>', 'every tree carrying this tag (repeatable)', collect)
      .option('--source <source>', 'only lines from agent, job, stdout, stderr or file', collect);
  const logsCommand = program
    .command('logs')
    .description("the logs of trees' jobs, from every node (SPEC §19): print them, or search them");
  logScope(
    logsCommand
      .command('show [root]', { isDefault: true })
      .description(
        "print the logs of a tree's jobs (or of every tree with --tag, or a node's with --node), merged by time, from any node",
      ),
  )
    .option('--node <node>', "a node's jobs (or, with a tree or --tag, only this node's lines)")
    .option('--job <id>', 'only this job (repeatable)', collect)
    .option('--grep <text>', 'only lines holding this text')
    .option('--tail <n>', 'only the last N lines')
    .option('--since <duration>', 'only lines of the last 30s, 10m, 2h, 1d...')
    .option('-f, --follow', "follow live (a tree's until it has ended)")
    .option('--json', 'one JSON object a line')
    .action((root: string | undefined, o) =>
      run(() => logs(client(), root, { ...o, raw: program.opts().raw === true }, logsOut))(),
    );
  logScope(
    logsCommand
      .command('search [root]')
      .description("find text in a tree's logs (or every tree with --tag), on every node at once"),
  )
    .option('--q <text>', 'the text to find')
    .option('--re <pattern>', 'a pattern to find (RE2: linear time)')
    .option('--node <node>', 'only the logs on this node')
    .option('--limit <n>', 'at most N matches', '100')
    .option('--json', 'one JSON object a match')
    .action((root: string | undefined, o) =>
      run(() => searchLogs(client(), root, { ...o, raw: program.opts().raw === true }, logsOut))(),
    );
  program
    .command('nodes')
    .description('list the nodes of the cluster')
    .option('--json', 'print JSON')
    .action((o) => run(() => nodes(client(), o, print))());
  const service = program.command('service').description("this node's agent as a systemd service");
  const serviceOptions = (c: Command): Command =>
    c
      .option('--user <user>', 'the user the agent runs as', 'jobtree')
      .option('--config-dir <dir>', 'its config directory', '/etc/jobtree')
      .option('--data-dir <dir>', 'its data directory', '/var/lib/jobtree')
      .option('--dry-run', 'print every file instead of writing it')
      .option('--root <dir>', 'write under this directory instead of / (packaging)');
  serviceOptions(
    service.command('install').description('write the unit, its env file and config dir'),
  ).action((o: ServiceFlags) => setCode(install(o, print)));
  serviceOptions(
    service.command('uninstall').description('remove what install wrote (never the data)'),
  ).action((o: ServiceFlags) => setCode(uninstall(o, print)));
  serviceOptions(
    service.command('status').description('is the unit installed, is the service running'),
  ).action((o: ServiceFlags) => setCode(status(o, print)));
  program
    .command('drain [node]')
    .description("stop a node claiming work; its running jobs finish (default: the server's node)")
    .action((node: string | undefined) => run(() => setDrain(client(), node, true, print))());
  program
    .command('undrain [node]')
    .description('let a drained node claim work again')
    .action((node: string | undefined) => run(() => setDrain(client(), node, false, print))());
  const types = program.command('types').description('job types: list, register, deregister');
  types
    .command('ls', { isDefault: true })
    .description('every job type, its versions, and what each node has loaded')
    .option('--json', 'print JSON')
    .action((o) => run(() => listTypes(client(), o, print))());
  types
    .command('add <file>')
    .description('register a module file as a new version of a cluster-wide job type')
    .option('--name <name>', 'the type name (default: the file name without extension)')
    .action((file: string, o) => run(() => addType(client(), file, o, print))());
  types
    .command('rm <name>')
    .description('deregister a job type (running jobs of it go on)')
    .action((name: string) => run(() => removeType(client(), name, print))());
  const pools = program.command('pools').description('pools of slots shared by all nodes');
  pools
    .command('ls', { isDefault: true })
    .description('every pool with its slots in use')
    .option('--json', 'print JSON')
    .action((o) => run(() => listPools(client(), o, print))());
  pools
    .command('set <name> <slots>')
    .description('create a pool or change its number of slots')
    .option('--description <text>', 'what the pool is for')
    .action((name: string, slots: string, o) =>
      run(() => setPool(client(), name, slots, o, print))(),
    );
  pools
    .command('rm <name>')
    .description('delete a pool that no job names')
    .action((name: string) => run(() => removePool(client(), name, print))());
  const defs = program
    .command('defs')
    .description('definitions: named, versioned trees run by name');
  defs
    .command('ls', { isDefault: true })
    .description('every definition, its latest version and last run')
    .option('--json', 'print JSON')
    .action((o) => run(() => listDefinitions(client(), o, print))());
  defs
    .command('show <name>')
    .description('a definition: its params, versions, last runs and waiting messages')
    .option('--version <n>', 'an older version')
    .option('--json', 'print JSON')
    .action((name: string, o) => run(() => showDefinition(client(), name, o, print))());
  defs
    .command('versions <name>')
    .description("a definition's versions")
    .action((name: string) => run(() => definitionVersions(client(), name, print))());
  defs
    .command('apply <files...>')
    .description(
      'store each file as a new version where it changed (named by its name, else its file name)',
    )
    .action((files: string[]) => run(() => applyDefinitions(client(), files, print))());
  defs
    .command('export <name> [file]')
    .description('write a definition as JSON, to FILE or stdout')
    .action((name: string, file: string | undefined) =>
      run(() => exportDefinition(client(), name, file, print))(),
    );
  defs
    .command('rm <name>')
    .description('delete a definition (its runs go on)')
    .action((name: string) => run(() => removeDefinition(client(), name, print))());
  program
    .command('run <name>')
    .description('run a definition by name')
    .option(
      '-p, --param <key=value>',
      'a parameter; JSON where it parses, else a string (repeatable)',
      parseParam,
      {},
    )
    .option('--params-file <file>', 'parameters from a JSON file (-p wins)')
    .option('--wait', 'wait for the run to finish; exit 1 if it failed')
    .option('--follow', 'show the run live with the logs of its jobs')
    .option('--queue', "at the definition's limit, queue the run instead of failing with BUSY")
    .option('--timeout <s>', 'with --wait: give up waiting after S seconds', '3600')
    .option('--json', 'print JSON')
    .action((name: string, o) => run(() => runDefinition(client(), name, o, print, screen))());
  return program;
}

/** Runs the CLI; resolves with the exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let code = EXIT.OK as number;
  // output piped into `head` that has read enough: not an error of ours
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(code);
    throw err;
  });
  try {
    checkNode();
    await buildProgram(env, (c) => (code = c)).parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    if (err instanceof CliError) {
      process.stderr.write(`jobtree: ${err.message}\n`);
      return err.exitCode;
    }
    if (err instanceof JobtreeError) {
      process.stderr.write(`jobtree: ${err.message}\n`);
      return err.code === 'REDIS_UNAVAILABLE' ? EXIT.UNREACHABLE : 1;
    }
    process.stderr.write(`jobtree: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}
