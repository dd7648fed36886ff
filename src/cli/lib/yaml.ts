// Commands load their heavy dependencies lazily (the proxy never loads the YAML parser). They do
// it through a module of ours rather than `import('yaml')`: in the bundle (hack/bundle.ts), a
// dynamic import of a CommonJS package yields only its `default`, while a static import of it
// keeps the named exports.
export { parseAllDocuments } from 'yaml';
