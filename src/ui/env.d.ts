// esbuild bundles the stylesheet that main.tsx imports for its side effect.
declare module '*.css';
