/**
 * The jobtree web UI (issue 5): every agent serves it at `/`, and from any
 * node it shows the whole cluster. Hash routes keep the server to one page:
 * `#/` trees, `#/trees/<root>` one tree (with `?log=<job>`), `#/nodes`.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import './styles.css';
import { onTokenRefused } from './session.js';
import { resetSocket } from './socket.js';
import { NodesView } from './views/nodes-view.js';
import { TokenDialog } from './views/token-dialog.js';
import { TreeView } from './views/tree-view.js';
import { TreesView } from './views/trees-view.js';

interface Route {
  page: 'trees' | 'tree' | 'nodes';
  root?: string;
  query: URLSearchParams;
}

function parseRoute(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#/, '').split('?');
  const query = new URLSearchParams(search);
  const tree = /^\/trees\/([0-9a-fA-F-]{36})$/.exec(path);
  if (tree) return { page: 'tree', root: tree[1] as string, query };
  if (path === '/nodes') return { page: 'nodes', query };
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
  const key = `${generation}:${route.page}:${route.root ?? ''}`;
  return (
    <>
      <header class="top">
        <a class="brand" href="#/">
          jobtree
        </a>
        <nav aria-label="Main">
          <a href="#/" aria-current={route.page !== 'nodes' ? 'page' : undefined}>
            Trees
          </a>
          <a href="#/nodes" aria-current={route.page === 'nodes' ? 'page' : undefined}>
            Nodes
          </a>
        </nav>
        <span class="served-by">served by {location.host}</span>
      </header>
      <main>
        {route.page === 'tree' && route.root ? (
          <TreeView key={key} root={route.root} logJob={route.query.get('log')} />
        ) : route.page === 'nodes' ? (
          <NodesView key={key} />
        ) : (
          <TreesView key={key} query={route.query} />
        )}
      </main>
      {tokenReason !== null && <TokenDialog reason={tokenReason} onAccepted={accepted} />}
    </>
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
