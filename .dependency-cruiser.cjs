/**
 * The layering of src/, checked by `npm run lint` (dependency-cruiser).
 *
 * A layer may import the layers below it and the shared folders, never a layer above it; a shared
 * folder imports only shared folders. Every folder of src/ is in exactly one of the two lists, so a
 * new folder fails the check until it is given a place here.
 */

/** Top to bottom: [folder, what it is]. */
const LAYERS = [
  ['cli', 'the narrative-mcp command, which starts the HTTP and stdio surfaces and runs operations'],
  ['http', 'the HTTP surface, which hosts the MCP server over Streamable HTTP and SSE beside REST'],
  ['mcp', 'the MCP surface: the server, its tools and the stdio transport'],
  ['operations', 'backfill and proactive refresh, run on a wired app'],
  ['app', 'the composition root: builds the engine, repositories and database from the configuration'],
  ['engine', 'cache policy, hot tier, orchestration, background jobs'],
  ['llm', 'the LLM providers (the offline one ranks with the search index)'],
  ['search', 'the in-process BM25 index'],
  ['repositories', 'one module per table, the only place with queries'],
  ['db', 'opening PostgreSQL or PGlite, the schema, migrations and locks'],
];

/** Leaves any layer may use. */
const SHARED = ['errors', 'clock', 'config', 'logging', 'text', 'memories', 'users', 'validation'];

const folders = (names) => `^src/(${names.join('|')})/`;
const layerNames = LAYERS.map(([name]) => name);

const layerRules = LAYERS.slice(1).map(([name], index) => {
  const above = layerNames.slice(0, index + 1);
  return {
    name: `${name}-imports-no-layer-above`,
    comment: `src/${name}/ is below ${above.join(', ')}: it may import only the layers below it and the shared folders (see .dependency-cruiser.cjs)`,
    severity: 'error',
    from: { path: folders([name]) },
    to: { path: folders(above) },
  };
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'shared-folders-import-no-layer',
      comment: `${SHARED.join(', ')} are shared leaves every layer may use, so they import no layer`,
      severity: 'error',
      from: { path: folders(SHARED) },
      to: { path: folders(layerNames) },
    },
    {
      name: 'only-repositories-and-db-write-sql',
      comment: 'queries live in src/repositories/ (and locks and connections in src/db/): elsewhere the database libraries are imported for their types only',
      severity: 'error',
      from: { path: '^src/', pathNot: folders(['repositories', 'db']) },
      to: { path: '(^|/)node_modules/(kysely|postgres|@electric-sql/pglite)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'every-folder-has-a-place',
      comment: 'each folder of src/ is a layer or a shared folder: add a new one to LAYERS or SHARED in .dependency-cruiser.cjs',
      severity: 'error',
      from: { path: '^src/', pathNot: folders([...layerNames, ...SHARED]) },
      to: {},
    },
    {
      name: 'every-imported-folder-has-a-place',
      comment: 'each folder of src/ is a layer or a shared folder: add a new one to LAYERS or SHARED in .dependency-cruiser.cjs',
      severity: 'error',
      from: {},
      to: { path: '^src/', pathNot: folders([...layerNames, ...SHARED]) },
    },
    {
      name: 'migrations-import-no-code',
      comment: 'a shipped migration never changes, so it cannot depend on code that does',
      severity: 'error',
      from: { path: '^migrations/' },
      to: { path: '^src/' },
    },
    {
      name: 'code-imports-no-tests-or-tools',
      comment: 'the product does not depend on its tests, benchmarks or scripts',
      severity: 'error',
      from: { path: '^(src|migrations)/' },
      to: { path: '^(test|bench|scripts)/' },
    },
    {
      name: 'code-imports-no-dev-dependency',
      comment: 'devDependencies are not installed with the package; the product imports only dependencies (types excepted)',
      severity: 'error',
      from: { path: '^(src|migrations)/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-circular',
      comment: 'modules that import each other are one concept split in two, or a layer turned around',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-unresolvable',
      comment: 'an import that resolves to nothing fails at run time',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-package-outside-package-json',
      comment: 'a package imported but not declared in package.json works only by accident of hoisting',
      severity: 'error',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports are dependencies too: a type from a layer above is a concept in the wrong place.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.check.json' },
    // ESM packages resolve through their "exports" (p-queue, the MCP SDK's subpaths).
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
};
