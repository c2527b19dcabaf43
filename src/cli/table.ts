/** Plain text tables for the CLI's listings: columns padded to their widest cell. */
export function formatTable(rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The load errors under a listing of nodes or types, or nothing when there are none. */
export function formatLoadErrors(errors: string[]): string | null {
  return errors.length === 0 ? null : `\nload errors:\n${errors.map((e) => `  ${e}`).join('\n')}`;
}
