/** Placeholder action for a subcommand whose issue has not landed: one line, non-zero exit. */
export function notAvailableYet(name: string): () => never {
  return () => {
    console.error(`mcp-authserver ${name}: not available yet`);
    process.exit(3);
  };
}
