/**
 * The registry of a node's built-in job types (SPEC §5). `shell` is left
 * out on a node whose config sets shell.enabled false, so it refuses them.
 */
import type { Config } from '../../config/config.js';
import { noop } from './noop.js';
import { TypeRegistry } from './registry.js';
import { shell } from './shell.js';
import { sleep } from './sleep.js';

export function createRegistry(config: Pick<Config, 'shell'>): TypeRegistry {
  const registry = new TypeRegistry();
  registry.register(noop);
  registry.register(sleep);
  if (config.shell.enabled) registry.register(shell);
  return registry;
}
