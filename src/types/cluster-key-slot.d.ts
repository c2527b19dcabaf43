/** The package ships no types; ioredis uses the same module to route commands. */
declare module 'cluster-key-slot' {
  /** The Redis Cluster hash slot (0–16383) of a key, honouring its `{hash tag}`. */
  function generate(key: string): number;
  export default generate;
}
