/**
 * The jobtree web UI (issue 5): every agent serves it at `/`, and from any
 * node it shows the whole cluster. Hash routes keep the server to one page:
 * `#/` trees, `#/trees/<root>` one tree (with `?log=<job>&at=<offset>`, or
 * `?view=logs` for all its logs), `#/logs?tag=k:v...` every log of a tag
 * query's trees (SPEC §19), `#/nodes`, `#/definitions` and
 * `#/definitions/<name>` (SPEC §13).
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import './styles.css';
import { onTokenRefused } from './session.js';
import { resetSocket } from './socket.js';
import { DefinitionView } from './views/definition-view.js';
import { DefinitionsView } from './views/definitions-view.js';
import { NodesView } from './views/nodes-view.js';
import { TokenDialog } from './views/token-dialog.js';
import { TreeView } from './views/tree-view.js';
import { TagLogs, TreesView } from './views/trees-view.js';

interface Route {
  page: 'trees' | 'tree' | 'nodes' | 'definitions' | 'definition' | 'logs';
  root?: string;
  name?: string;
  query: URLSearchParams;
}

function parseRoute(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#/, '').split('?');
  const query = new URLSearchParams(search);
  const tree = /^\/trees\/([0-9a-fA-F-]{36})$/.exec(path);
  if (tree) return { page: 'tree', root: tree[1] as string, query };
  if (path === '/nodes') return { page: 'nodes', query };
  if (path === '/logs') return { page: 'logs', query };
  if (path === '/definitions') return { page: 'definitions', query };
  const def = /^\/definitions\/([a-z0-9][a-z0-9_.-]{0,63})$/.exec(path);
  if (def) return { page: 'definition', name: def[1] as string, query };
  return { page: 'trees', query };
}

function App() {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  const [tokenReason, setTokenReason] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onHash);
    const off = onTokenRefused((reason) => setTokenReason(reason));
    return () => {
      removeEventListener('hashchange', onHash);
      off();
    };
  }, []);
  const accepted = () => {
    setTokenReason(null);
    resetSocket();
    setGeneration((g) => g + 1); // remount the views: they fetch and subscribe again
  };
  const key = `${generation}:${route.page}:${route.root ?? route.name ?? ''}`;
  const section = route.page.startsWith('definition') ? 'definitions' : route.page;
  return (
    <>
      <header class="top">
        <a class="brand" href="#/">
          jobtree
        </a>
        <nav aria-label="Main">
          <a
            href="#/"
            aria-current={section === 'trees' || section === 'tree' ? 'page' : undefined}
          >
            Trees
          </a>
          <a href="#/definitions" aria-current={section === 'definitions' ? 'page' : undefined}>
            Definitions
          </a>
          <a href="#/nodes" aria-current={section === 'nodes' ? 'page' : undefined}>
            Nodes
          </a>
        </nav>
        <span class="served-by">served by {location.host}</span>
      </header>
      <main>
        {route.page === 'tree' && route.root ? (
          <TreeView
            key={key}
            root={route.root}
            logJob={route.query.get('log')}
            logAt={route.query.get('at')}
            allLogs={route.query.get('view') === 'logs'}
          />
        ) : route.page === 'logs' ? (
          <TagLogs key={`${key}:${route.query}`} query={route.query} />
        ) : route.page === 'nodes' ? (
          <NodesView key={key} />
        ) : route.page === 'definitions' ? (
          <DefinitionsView key={key} />
        ) : route.page === 'definition' && route.name ? (
          <DefinitionView key={key} name={route.name} />
        ) : (
          <TreesView key={key} query={route.query} />
        )}
      </main>
      {tokenReason !== null && <TokenDialog reason={tokenReason} onAccepted={accepted} />}
    </>
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
